/**
 * 4. Peak RSS of the egress service PROCESS while it egresses one 1 GiB object, gzip off and on:
 * `node bin/egress.js service` in a child process (a fresh one per case, since VmHWM is a
 * lifetime high-water mark), the edge in another; VmHWM read from /proc/<pid>/status. Baselines:
 * the same process idle (after start-up, before the flag) and a raw-SDK streaming copy in a
 * process of its own (support/floor-process.ts).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { startTestKit, uniqueName } from '../src/testing/index.ts';
import { type Benchmark, type Figure, round } from './lib.ts';
import { contentStream, MiB, s3Rule, scaledBytes } from './support/content.ts';
import { describeCpu, measured, mibPerSecond } from './support/measure.ts';
import { memoryMiB, startEdgeProcess, startServiceProcess } from './support/processes.ts';

const GOAL_MIB = 256;
const run = promisify(execFile);

export const rssBenchmark: Benchmark = {
  name: 'rss',
  description:
    'Peak RSS (VmHWM) of the egress service process (node bin/egress.js service, defaults) during a 1 GiB S3 egress, gzip off and on; edge in its own process. Baselines: the idle service process, and a raw-SDK streaming copy in its own process.',
  async run() {
    const size = scaledBytes(1024 * MiB);
    const edge = await startEdgeProcess();
    const kit = await startTestKit({ target: edge.target });
    const source = uniqueName('rss-src');
    const destination = uniqueName('rss-dst');
    try {
      await kit.createBuckets(source, destination);
      console.error(`  generating 1 × ${size / MiB} MiB (multipart from a stream)…`);
      await kit.putObject(source, 'big/big.json', contentStream(size, 11));
      await edge.watch(destination);
      const serviceCase = async (
        label: string,
        gzip: boolean,
        nodeOptions = '',
        entry: 'cli' | 'service-only' = 'cli',
      ) => {
        // A table holding only this case's rule, and a queue per process: a stopped consumer's
        // abandoned long poll can still take a message in fauxqs (its waiters outlive the
        // connection), which would hide it for the visibility timeout.
        const table = uniqueName(`rss-${label}`);
        await kit.createTable(table);
        await kit.putRules({ table: table }, [
          s3Rule(
            'big/',
            source,
            destination,
            `${label}/`,
            gzip ? { compress: true, compress_fmt: 'gz' } : {},
          ),
        ]);
        const queueUrl = await kit.createQueue(uniqueName(`rss-queue-${label}`));
        const service = await startServiceProcess(
          edge.endpoint,
          {
            EGRESS_QUEUE_URL: queueUrl,
            EGRESS_TABLE: table,
            NODE_OPTIONS: nodeOptions,
          },
          { entry },
        );
        try {
          await new Promise((resolve) => setTimeout(resolve, 1000));
          const idle = await memoryMiB(service.pid);
          let sampledMax = 0;
          const sampler = setInterval(() => {
            void memoryMiB(service.pid).then(
              (m) => {
                sampledMax = Math.max(sampledMax, m.rss);
              },
              () => {},
            );
          }, 100);
          const timing = await measured({ service: service.pid, edge: edge.pid }, async () => {
            await kit.sendFlag({ queueUrl: queueUrl }, 'big/pipeline_success.flag', source);
            return edge.writes.waitForDistinct(destination, `${label}/`, 1, 600_000);
          });
          clearInterval(sampler);
          const peak = await memoryMiB(service.pid);
          return { idle, peak: peak.peak, sampledMax, timing };
        } finally {
          await service.stop();
        }
      };
      const floorCase = async (gzip: boolean) => {
        const { stdout } = await run(
          process.execPath,
          [
            '--import',
            'tsx',
            path.resolve('bench/support/floor-process.ts'),
            edge.endpoint,
            source,
            'big/big.json',
            destination,
            `floor-${gzip ? 'gzip' : 'plain'}/big.json`,
            gzip ? '1' : '0',
          ],
          { maxBuffer: 1024 * 1024 },
        );
        return JSON.parse(stdout.trim().split('\n').pop()!) as { idlePeak: number; peak: number; ms: number };
      };

      console.error('  service, gzip off…');
      const plain = await serviceCase('plain', false);
      console.error('  floor process, gzip off…');
      const floorPlain = await floorCase(false);
      console.error('  service, gzip on…');
      const gzip = await serviceCase('gzip', true);
      console.error('  floor process, gzip on…');
      const floorGzip = await floorCase(true);
      // The young generation's size is the largest tunable share (see docs/performance.md).
      const smallHeap = '--max-semi-space-size=1';
      console.error(`  service with NODE_OPTIONS=${smallHeap}, gzip off…`);
      const plainSmall = await serviceCase('plain-semi1', false, smallHeap);
      console.error(`  service with NODE_OPTIONS=${smallHeap}, gzip on…`);
      const gzipSmall = await serviceCase('gzip-semi1', true, smallHeap);
      // What lazy command loading in the CLI would give: the service's modules only.
      console.error('  service modules only (bench/support/service-entry.ts), gzip off…');
      const plainLean = await serviceCase('plain-lean', false, '', 'service-only');
      console.error('  service modules only, gzip on…');
      const gzipLean = await serviceCase('gzip-lean', true, '', 'service-only');

      const figure = (name: string, value: number, floorValue: number): Figure => ({
        name,
        value,
        unit: 'MiB',
        floor: {
          name: 'raw-SDK streaming copy process, same part size and queue',
          value: floorValue,
          ratio: round(value / floorValue),
        },
        goal: { text: `< ${GOAL_MIB} MiB`, met: value < GOAL_MIB },
      });
      return {
        benchmark: 'rss',
        description: this.description,
        figures: [
          figure(`peak RSS, ${size / MiB} MiB, gzip off`, plain.peak, floorPlain.peak),
          figure(`peak RSS, ${size / MiB} MiB, gzip on`, gzip.peak, floorGzip.peak),
          {
            name: `peak RSS, gzip off, NODE_OPTIONS=${smallHeap}`,
            value: plainSmall.peak,
            unit: 'MiB',
            floor: {
              name: 'default V8 flags',
              value: plain.peak,
              ratio: round(plainSmall.peak / plain.peak),
            },
            goal: { text: `< ${GOAL_MIB} MiB`, met: plainSmall.peak < GOAL_MIB },
          },
          {
            name: `peak RSS, gzip on, NODE_OPTIONS=${smallHeap}`,
            value: gzipSmall.peak,
            unit: 'MiB',
            floor: { name: 'default V8 flags', value: gzip.peak, ratio: round(gzipSmall.peak / gzip.peak) },
            goal: { text: `< ${GOAL_MIB} MiB`, met: gzipSmall.peak < GOAL_MIB },
          },
          {
            name: 'peak RSS, gzip off, service modules only (what lazy CLI command loading gives)',
            value: plainLean.peak,
            unit: 'MiB',
            floor: {
              name: 'node bin/egress.js service',
              value: plain.peak,
              ratio: round(plainLean.peak / plain.peak),
            },
            goal: { text: `< ${GOAL_MIB} MiB`, met: plainLean.peak < GOAL_MIB },
          },
          {
            name: 'peak RSS, gzip on, service modules only',
            value: gzipLean.peak,
            unit: 'MiB',
            floor: {
              name: 'node bin/egress.js service',
              value: gzip.peak,
              ratio: round(gzipLean.peak / gzip.peak),
            },
            goal: { text: `< ${GOAL_MIB} MiB`, met: gzipLean.peak < GOAL_MIB },
          },
          {
            name: `throughput gzip off with ${smallHeap}`,
            value: mibPerSecond(size, plainSmall.timing.ms),
            unit: 'MiB/s',
            floor: {
              name: 'default flags, gzip off',
              value: mibPerSecond(size, plain.timing.ms),
              ratio: round(plainSmall.timing.ms > 0 ? plain.timing.ms / plainSmall.timing.ms : 0),
            },
          },
          {
            name: `throughput gzip on with ${smallHeap}`,
            value: mibPerSecond(size, gzipSmall.timing.ms),
            unit: 'MiB/s',
            floor: {
              name: 'default flags, gzip on',
              value: mibPerSecond(size, gzip.timing.ms),
              ratio: round(gzip.timing.ms / gzipSmall.timing.ms),
            },
          },
          {
            name: 'idle service process, peak so far (start-up included)',
            value: plain.idle.peak,
            unit: 'MiB',
            floor: {
              name: 'idle floor process',
              value: floorPlain.idlePeak,
              ratio: round(plain.idle.peak / floorPlain.idlePeak),
            },
          },
          {
            name: 'throughput of the measured runs, gzip off / on',
            value: mibPerSecond(size, plain.timing.ms),
            unit: 'MiB/s',
            floor: {
              name: 'gzip on',
              value: mibPerSecond(size, gzip.timing.ms),
              ratio: round(mibPerSecond(size, gzip.timing.ms) / mibPerSecond(size, plain.timing.ms)),
            },
          },
        ],
        notes: [
          `Idle RSS now: ${plain.idle.rss} MiB as shipped, ${plainSmall.idle.rss} MiB with ${smallHeap}, ${plainLean.idle.rss} MiB with the service's modules only. Throughput with the service's modules only: ${mibPerSecond(size, plainLean.timing.ms)} MiB/s off, ${mibPerSecond(size, gzipLean.timing.ms)} MiB/s on.`,
          `RSS sampled every 100 ms peaked at ${plain.sampledMax} MiB (off) and ${gzip.sampledMax} MiB (on); VmHWM is the kernel's exact high-water mark.`,
          `CPU (% of one core) gzip off: ${describeCpu(plain.timing.cpu)}; gzip on: ${describeCpu(gzip.timing.cpu)}.`,
          `Memory per object ≈ part size × (EGRESS_UPLOAD_QUEUE_SIZE + 1) = 8 MiB × 5 for lib-storage, plus stream buffers; the rest is the Node/tsx/SDK baseline.`,
        ],
      };
    } finally {
      await kit.stop();
      await edge.stop();
    }
  },
};
