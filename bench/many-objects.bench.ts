/**
 * 5. 10,000 small objects under one prefix, one flag: objects/s through the egress service (own
 * process, defaults: 8 objects at once, listing one page ahead) vs a raw-SDK floor that lists every
 * page and copies with the same concurrency; the edge in its own process.
 */
import { type Benchmark, round } from './lib.ts';
import { mapLimit, OBJECT_CONCURRENCY } from './support/concurrency.ts';
import { contentBuffer, s3Rule, scaled } from './support/content.ts';
import { startCopyWorld } from './support/copy-world.ts';
import { listKeys, rawCopy } from './support/floor.ts';
import { describeCpu, measured } from './support/measure.ts';
import { startServiceProcess } from './support/processes.ts';

const SIZE = 1024;

export const manyObjectsBenchmark: Benchmark = {
  name: 'many-objects',
  description:
    '10,000 objects of 1 KiB under one prefix, one flag: objects/s through the egress service (own process, defaults) vs a raw-SDK list-every-page + copy floor with the same concurrency (8); edge in its own process.',
  async run() {
    const count = scaled(10_000, 50);
    const world = await startCopyWorld('many');
    const { edge, kit, source, destination, table, queueUrl } = world;
    try {
      await kit.putRules({ table: table }, [
        s3Rule('warm/', source, destination, 'svc-warm/'),
        s3Rule('objects/', source, destination, 'svc/'),
      ]);
      console.error(`  generating ${count} objects of ${SIZE} bytes…`);
      const keys = Array.from({ length: count }, (_, i) => `objects/obj-${String(i).padStart(5, '0')}.dat`);
      await mapLimit(keys, 16, (key, i) => kit.putObject(source, key, contentBuffer(SIZE, i)));
      await mapLimit([0, 1, 2, 3, 4, 5, 6, 7], 8, (i) =>
        kit.putObject(source, `warm/w-${i}.dat`, contentBuffer(SIZE, i)),
      );
      await edge.watch(destination);
      const service = await startServiceProcess(edge.endpoint, {
        EGRESS_QUEUE_URL: queueUrl,
        EGRESS_TABLE: table,
      });
      const pids = { service: service.pid, edge: edge.pid };
      try {
        await kit.sendFlag({ queueUrl: queueUrl }, 'warm/pipeline_success.flag', source);
        await edge.writes.waitForDistinct(destination, 'svc-warm/', 8, 60_000);
        const floorRun = async (prefix: string, target: string) =>
          measured(pids, async () => {
            const objects = await listKeys(kit.clients.s3, source, prefix);
            await mapLimit(objects, OBJECT_CONCURRENCY, ({ key }) =>
              rawCopy(
                kit.clients.s3,
                { bucket: source, key },
                { bucket: destination, key: `${target}${key.slice(prefix.length)}` },
              ),
            );
          });
        await floorRun('warm/', 'floor-warm/');

        console.error('  service…');
        const serviceRun = await measured(pids, async () => {
          await kit.sendFlag({ queueUrl: queueUrl }, 'objects/pipeline_success.flag', source);
          return edge.writes.waitForDistinct(destination, 'svc/', count, 900_000);
        });
        console.error('  floor…');
        const floor = await floorRun('objects/', 'floor/');
        const value = round(count / (serviceRun.ms / 1000), 0);
        const floorValue = round(count / (floor.ms / 1000), 0);
        return {
          benchmark: 'many-objects',
          description: this.description,
          figures: [
            {
              name: `${count} objects, flag → last object written`,
              value,
              unit: 'objects/s',
              floor: {
                name: 'raw SDK list + copy, 8 at once',
                value: floorValue,
                ratio: round(value / floorValue),
              },
              goal: {
                text: 'every page listed (the original stopped at 1,000)',
                met: edge.writes.distinct(destination, 'svc/') === count,
              },
            },
          ],
          notes: [
            `CPU (% of one core) — service run: ${describeCpu(serviceRun.cpu)}; floor run: ${describeCpu(floor.cpu)}.`,
            'fauxqs sorts the whole prefix (localeCompare) for every ListObjectsV2 page, so listing cost grows with the prefix.',
          ],
        };
      } finally {
        await service.stop();
      }
    } finally {
      await world.close();
    }
  },
};
