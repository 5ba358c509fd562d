/**
 * `npm run bench [-- name …]`: runs the benchmarks (all, or those named), prints each result as
 * JSON and appends it to bench/RESULTS.md. Not part of `npm test`: figures are ratios against a
 * floor measured in the same run, never timed assertions.
 *
 * - BENCH_SCALE=0.1 shrinks every workload for a quick check; scaled runs write bench/out/*.json
 *   but not bench/RESULTS.md (their figures are not comparable with the goals) unless BENCH_RECORD=1.
 * - BENCH_WAIT_QUIET=1 waits (up to 20 min) for the 1-minute load average to drop below 1.0 first.
 */
import os from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { copyBenchmark } from './copy.bench.ts';
import { decryptBenchmark } from './decrypt.bench.ts';
import { decryptGzipBenchmark } from './decrypt-gzip.bench.ts';
import { latencyBenchmark } from './latency.bench.ts';
import type { Benchmark } from './lib.ts';
import { cpuTicks, record } from './lib.ts';
import { manyObjectsBenchmark } from './many-objects.bench.ts';
import { originalBenchmark } from './original.bench.ts';
import { rssBenchmark } from './rss.bench.ts';
import { rssGrowthBenchmark } from './rss-growth.bench.ts';
import { ruleLookupBenchmark } from './rule-lookup.bench.ts';
import { sandboxBenchmark } from './sandbox.bench.ts';
import { scaleBenchmark } from './scale.bench.ts';
import { sftBenchmark } from './sft.bench.ts';
import { benchScale } from './support/content.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const benchmarks: Benchmark[] = [
  sandboxBenchmark,
  copyBenchmark,
  decryptBenchmark,
  decryptGzipBenchmark,
  latencyBenchmark,
  rssBenchmark,
  rssGrowthBenchmark,
  manyObjectsBenchmark,
  scaleBenchmark,
  ruleLookupBenchmark,
  originalBenchmark,
  sftBenchmark,
];

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !benchmarks.some((b) => b.name === name));
if (unknown.length) {
  console.error(
    `unknown benchmark(s): ${unknown.join(', ')}; known: ${benchmarks.map((b) => b.name).join(', ')}`,
  );
  process.exit(2);
}

if (process.env.BENCH_WAIT_QUIET === '1') {
  const deadline = Date.now() + 20 * 60_000;
  while (os.loadavg()[0]! >= 1.0 && Date.now() < deadline) {
    console.error(
      `waiting for a quiet machine: load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    await delay(30_000);
  }
}

const scale = benchScale();
const markdown = scale === 1 || process.env.BENCH_RECORD === '1';
const started = Date.now();
console.error(
  `load average at start: ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}; BENCH_SCALE=${scale}`,
);
for (const benchmark of benchmarks.filter((b) => wanted.length === 0 || wanted.includes(b.name))) {
  console.error(`▶ ${benchmark.name}: ${benchmark.description}`);
  const benchStarted = Date.now();
  const ticksBefore = await cpuTicks();
  const loadBefore = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const result = await benchmark.run();
  if (scale !== 1) {
    result.notes = [
      ...(result.notes ?? []),
      `BENCH_SCALE=${scale}: sizes scaled, not comparable with the goals.`,
    ];
  }
  console.log(JSON.stringify(result, null, 2));
  const ticksAfter = await cpuTicks();
  const otherTicks = ticksAfter.machine - ticksBefore.machine - (ticksAfter.ours - ticksBefore.ours);
  const otherCpu = Math.max(0, Math.round((otherTicks * 10 * 100) / (Date.now() - benchStarted)));
  await record(result, { markdown, loadBefore, otherCpu });
  console.error(`  ${benchmark.name} took ${Math.round((Date.now() - benchStarted) / 1000)} s`);
}
console.error(
  `benchmarks finished in ${Math.round((Date.now() - started) / 1000)} s (load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(
      ' ',
    )}); ${markdown ? 'results appended to bench/RESULTS.md' : 'JSON in bench/out (scaled run: RESULTS.md untouched)'}`,
);
