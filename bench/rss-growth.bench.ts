/**
 * RSS growth of the sandbox as data is stored in its S3: `egress sandbox --no-demo` (its own process
 * group, as shipped) receives 0.25, 0.5, 1 and 2 GiB in total, uploaded multipart from streams; after
 * each step a full GC runs in the sandbox (through its inspector) and the process group's RSS is
 * read once it is idle and settled. Figures: the slope (MiB of RSS per GiB stored, least squares over
 * the four steps) and the idle RSS after 2 GiB.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { startTestKit } from '../src/testing/index.ts';
import { type Benchmark, round } from './lib.ts';
import { contentStream, MiB, scaledBytes } from './support/content.ts';
import { mibPerSecond } from './support/measure.ts';
import { type SandboxProcess, startSandboxProcess } from './support/sandbox-process.ts';

const GOAL_SLOPE_MIB_PER_GIB = 32;
const GOAL_IDLE_MIB = 400;
const STEPS_GIB = [0.25, 0.5, 1, 2];
const run = promisify(execFile);

/** Least-squares slope of y over x. */
export function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  const meanX = points.reduce((sum, p) => sum + p.x, 0) / n;
  const meanY = points.reduce((sum, p) => sum + p.y, 0) / n;
  const covariance = points.reduce((sum, p) => sum + (p.x - meanX) * (p.y - meanY), 0);
  const variance = points.reduce((sum, p) => sum + (p.x - meanX) ** 2, 0);
  return covariance / variance;
}

/** GC, then RSS readings 500 ms apart until two agree within 2 MiB (at most 10 s). */
async function idleRss(sandbox: SandboxProcess): Promise<number> {
  await sandbox.collectGarbage();
  let previous = await sandbox.groupRssMiB();
  for (let i = 0; i < 20; i++) {
    await delay(500);
    const now = await sandbox.groupRssMiB();
    if (Math.abs(now - previous) < 2) return now;
    previous = now;
  }
  return previous;
}

async function diskMiB(directory: string): Promise<number> {
  const { stdout } = await run('du', ['-sk', directory]);
  return round(Number(stdout.split(/\s+/)[0]) / 1024, 1);
}

export const rssGrowthBenchmark: Benchmark = {
  name: 'rss-growth',
  description:
    "RSS of the sandbox's process group (egress sandbox --no-demo, as shipped) after 0.25, 0.5, 1 and 2 GiB stored in its S3 (multipart uploads from streams, 8 MiB parts), each read after a full GC once idle; the slope is least squares over the four steps.",
  async run() {
    const objectSize = scaledBytes(256 * MiB);
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'bench-rss-growth-'));
    const sandbox = await startSandboxProcess(stateDir, { inspect: true });
    const kit = await startTestKit({
      target: {
        region: sandbox.state.region,
        endpoint: sandbox.state.aws.endpoint,
        credentials: sandbox.state.aws,
      },
    });
    try {
      const bucket = `bench-rss-growth-${Date.now().toString(36)}`;
      await kit.createBuckets(bucket);
      const baseline = await idleRss(sandbox);
      console.error(`  idle after start: ${baseline} MiB; objects of ${objectSize / MiB} MiB`);
      const steps: { gib: number; rss: number; disk: number }[] = [];
      let stored = 0;
      let uploadMs = 0;
      let index = 0;
      for (const gib of STEPS_GIB) {
        const target = Math.round((gib * 1024 * MiB * objectSize) / (256 * MiB));
        const started = performance.now();
        while (stored < target) {
          await kit.putObject(bucket, `data/object-${index}.jsonl`, contentStream(objectSize, index));
          stored += objectSize;
          index += 1;
        }
        uploadMs += performance.now() - started;
        const rss = await idleRss(sandbox);
        const disk = await diskMiB(path.join(stateDir, 's3'));
        console.error(
          `  ${round(stored / 1024 / MiB, 2)} GiB stored: RSS ${rss} MiB, S3 directory ${disk} MiB`,
        );
        steps.push({ gib: stored / 1024 / MiB, rss, disk });
      }
      const growth = round(slope(steps.map((s) => ({ x: s.gib, y: s.rss }))), 1);
      const last = steps[steps.length - 1]!;
      return {
        benchmark: 'rss-growth',
        description: this.description,
        figures: [
          {
            name: 'RSS slope (MiB per GiB stored)',
            value: growth,
            unit: 'MiB/GiB',
            goal: { text: `≤ ${GOAL_SLOPE_MIB_PER_GIB} MiB/GiB`, met: growth <= GOAL_SLOPE_MIB_PER_GIB },
          },
          {
            name: `idle RSS after ${round(last.gib, 2)} GiB stored`,
            value: last.rss,
            unit: 'MiB',
            floor: {
              name: 'idle after start, nothing stored',
              value: baseline,
              ratio: round(last.rss / baseline),
            },
            goal: { text: `≤ ${GOAL_IDLE_MIB} MiB`, met: last.rss <= GOAL_IDLE_MIB },
          },
          ...steps.map((step) => ({
            name: `idle RSS at ${round(step.gib, 2)} GiB stored (S3 directory ${step.disk} MiB)`,
            value: step.rss,
            unit: 'MiB',
          })),
          {
            name: 'upload throughput (multipart, 8 MiB parts)',
            value: mibPerSecond(stored, uploadMs),
            unit: 'MiB/s',
          },
        ],
        notes: [
          'RSS is the sum of VmRSS over the process group; the GC runs through the inspector (the sandbox is started with --inspect=127.0.0.1:0, nothing else changes).',
          'Before object bodies moved to disk (issue 17) the sandbox grew by about 1.7 MiB of RSS per MiB stored and idled at 2.8 GiB after about 1.6 GiB.',
        ],
      };
    } finally {
      await kit.stop();
      await sandbox.stop();
      await rm(stateDir, { recursive: true, force: true });
    }
  },
};
