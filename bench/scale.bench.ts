/**
 * 6. Horizontal scale: 1, 2 and 4 egress service PROCESSES (node bin/egress.js service, defaults)
 * on one queue, 500 flags, each flag its own 4-object rule. Throughput, and an exactly-once check
 * from the edge's own onS3Write hook (edge process): every expected destination key created exactly
 * once, nothing else created, the queue empty afterwards. The CPU share of every process says which
 * bound a run hits. Reference: the emulator's ceiling for the same copies — raw SDK, 32 at once, no
 * SQS or table scan — in the bench process.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { startTestKit, uniqueName } from '../src/testing/index.ts';
import { type Benchmark, type Figure, round } from './lib.ts';
import { mapLimit } from './support/concurrency.ts';
import { contentBuffer, s3Rule, scaled } from './support/content.ts';
import { rawCopy } from './support/floor.ts';
import { describeCpu, measured } from './support/measure.ts';
import { type ServiceProcess, startEdgeProcess, startServiceProcess } from './support/processes.ts';

const OBJECTS_PER_FLAG = 4;
const SIZE = 16 * 1024;
const WORKERS = [1, 2, 4];
const GOAL = 2.5;

export const scaleBenchmark: Benchmark = {
  name: 'scale',
  description:
    "Horizontal scale: 1, 2, 4 egress service processes on one queue, 500 flags × 4 objects of 16 KiB (one rule per flag): objects/s, exactly-once per rule checked by the edge's onS3Write hook; reference = emulator ceiling (raw copies, 32 at once).",
  async run() {
    const flags = scaled(500, 20);
    const edge = await startEdgeProcess();
    const kit = await startTestKit({ target: edge.target });
    const source = uniqueName('scale-src');
    try {
      await kit.createBuckets(source);
      const prefixes = Array.from({ length: flags }, (_, i) => `scale/f-${String(i).padStart(4, '0')}/`);
      console.error(`  generating ${flags} prefixes × ${OBJECTS_PER_FLAG} objects…`);
      await mapLimit(prefixes, 8, async (prefix, i) => {
        for (let n = 0; n < OBJECTS_PER_FLAG; n++) {
          await kit.putObject(
            source,
            `${prefix}part-${n}.csv`,
            contentBuffer(SIZE, i * OBJECTS_PER_FLAG + n),
          );
        }
      });
      const expected = flags * OBJECTS_PER_FLAG;

      const results: {
        workers: number;
        objectsPerSecond: number;
        exact: boolean;
        detail: string;
        cpu: Record<string, number>;
      }[] = [];
      for (const workers of WORKERS) {
        const destination = uniqueName(`scale-dst-${workers}`);
        const table = uniqueName(`scale-rules-${workers}`);
        await kit.createBuckets(destination);
        await kit.createTable(table);
        await kit.putRules(
          { table: table },
          prefixes.map((prefix, i) =>
            s3Rule(prefix, source, destination, `f-${String(i).padStart(4, '0')}/`),
          ),
        );
        // A fresh queue per run: no abandoned long poll of an earlier run can take a message.
        const queueUrl = await kit.createQueue(uniqueName(`scale-queue-${workers}`));
        await edge.watch(destination);
        console.error(`  ${workers} worker(s)…`);
        const services: ServiceProcess[] = await Promise.all(
          Array.from({ length: workers }, () =>
            startServiceProcess(edge.endpoint, { EGRESS_QUEUE_URL: queueUrl, EGRESS_TABLE: table }),
          ),
        );
        try {
          await delay(500);
          const pids: Record<string, number> = { edge: edge.pid };
          services.forEach((service, i) => {
            pids[`worker${i + 1}`] = service.pid;
          });
          const run = await measured(pids, async () => {
            const done = edge.writes.waitForDistinct(destination, '', expected, 900_000);
            await kit.sendFlags(
              { queueUrl: queueUrl },
              source,
              prefixes.map((prefix) => `${prefix}pipeline_success.flag`),
            );
            return done;
          });
          // Let the last deletes land, then check the queue and the per-key creation counts.
          const messages = async () => {
            const { visible, inFlight } = await kit.queueDepth(queueUrl);
            return visible + inFlight;
          };
          let depth = await messages();
          for (let i = 0; i < 40 && depth > 0; i++) {
            await delay(250);
            depth = await messages();
          }
          const counts = [...edge.writes.perKey.entries()].filter(([id]) => id.startsWith(`${destination}/`));
          const duplicates = counts.filter(([, n]) => n > 1).length;
          const expectedKeys = new Set(
            prefixes.flatMap((_, i) =>
              Array.from(
                { length: OBJECTS_PER_FLAG },
                (_, n) => `${destination}/f-${String(i).padStart(4, '0')}/part-${n}.csv`,
              ),
            ),
          );
          const unexpected = counts.filter(([id]) => !expectedKeys.has(id)).length;
          const missing = [...expectedKeys].filter((id) => !edge.writes.perKey.has(id)).length;
          const exact = duplicates === 0 && unexpected === 0 && missing === 0 && depth === 0;
          const workerCpu = Object.entries(run.cpu)
            .filter(([name]) => name.startsWith('worker'))
            .reduce((sum, [, share]) => sum + share, 0);
          results.push({
            workers,
            objectsPerSecond: round(expected / (run.ms / 1000), 0),
            exact,
            detail: `${expected - missing}/${expected} keys, ${duplicates} written more than once, ${unexpected} unexpected, ${depth} messages left`,
            cpu: { ...run.cpu, workersTotal: workerCpu },
          });
        } finally {
          await Promise.all(services.map((service) => service.stop()));
        }
      }

      // The emulator's ceiling for the same copies: no SQS, no scan, a light client, 32 at once.
      const ceilingBucket = uniqueName('scale-ceiling');
      await kit.createBuckets(ceilingBucket);
      const objects = prefixes.flatMap((prefix) =>
        Array.from({ length: OBJECTS_PER_FLAG }, (_, n) => `${prefix}part-${n}.csv`),
      );
      const ceiling = await measured({ edge: edge.pid }, async () => {
        await mapLimit(objects, 32, (key) =>
          rawCopy(kit.clients.s3, { bucket: source, key }, { bucket: ceilingBucket, key }),
        );
      });
      const ceilingRate = round(expected / (ceiling.ms / 1000), 0);

      const one = results[0]!.objectsPerSecond;
      const figures: Figure[] = results.map((result) => ({
        name: `${result.workers} worker process(es): objects/s`,
        value: result.objectsPerSecond,
        unit: 'objects/s',
        floor: { name: '1 worker', value: one, ratio: round(result.objectsPerSecond / one) },
        ...(result.workers === 4
          ? {
              goal: {
                text: `≥ ${GOAL}× one worker where not emulator-bound`,
                met: result.objectsPerSecond / one >= GOAL,
              },
            }
          : {}),
      }));
      figures.push(
        ...results.map((result) => ({
          name: `${result.workers} worker(s): every object written exactly once, queue drained`,
          value: result.exact ? 1 : 0,
          unit: result.exact ? '(yes)' : '(NO)',
          goal: { text: 'exactly once per rule', met: result.exact },
        })),
        {
          name: 'emulator ceiling: raw copies, 32 at once, no SQS/scan',
          value: ceilingRate,
          unit: 'objects/s',
          floor: { name: '1 worker', value: one, ratio: round(ceilingRate / one) },
        },
      );
      return {
        benchmark: 'scale',
        description: this.description,
        figures,
        notes: [
          ...results.map(
            (result) =>
              `${result.workers} worker(s): ${result.detail}; CPU (% of one core) ${describeCpu(result.cpu)}.`,
          ),
          `Ceiling run CPU: ${describeCpu(ceiling.cpu)}. Two cores = 200 %: once edge + workers reach it, more workers cannot add throughput.`,
          `Each message scans the ${flags}-rule table (EGRESS_RULE_CACHE_TTL_MS 0, the default), lists its prefix and copies ${OBJECTS_PER_FLAG} objects.`,
        ],
      };
    } finally {
      await kit.stop();
      await edge.stop();
    }
  },
};
