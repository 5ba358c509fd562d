/**
 * `npm run bench [-- name …]`: runs the benchmarks (all, or those named), prints each result as
 * JSON and appends it to bench/RESULTS.md. Not part of `npm test`: figures are ratios against a
 * floor measured in the same run, never timed assertions.
 */
import type { Benchmark } from './lib.ts';
import { record } from './lib.ts';
import { sandboxBenchmark } from './sandbox.bench.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const benchmarks: Benchmark[] = [sandboxBenchmark];

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !benchmarks.some((b) => b.name === name));
if (unknown.length) {
  console.error(
    `unknown benchmark(s): ${unknown.join(', ')}; known: ${benchmarks.map((b) => b.name).join(', ')}`,
  );
  process.exit(2);
}
const started = Date.now();
for (const benchmark of benchmarks.filter((b) => wanted.length === 0 || wanted.includes(b.name))) {
  console.error(`▶ ${benchmark.name}: ${benchmark.description}`);
  const result = await benchmark.run();
  console.log(JSON.stringify(result, null, 2));
  await record(result);
}
console.error(
  `benchmarks finished in ${Math.round((Date.now() - started) / 1000)} s; results appended to bench/RESULTS.md`,
);
