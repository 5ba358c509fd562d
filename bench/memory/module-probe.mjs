// Plain JavaScript on purpose: runs without tsx. Imports one module (or none), collects garbage,
// and prints the process's memory as JSON. Usage: node --expose-gc module-probe.mjs <specifier|none>
const what = process.argv[2];
if (what && what !== 'none') await import(what);
globalThis.gc?.();
await new Promise((resolve) => setTimeout(resolve, 300));
globalThis.gc?.();
const usage = process.memoryUsage();
const threads = /Threads:\s+(\d+)/.exec(
  (await import('node:fs')).readFileSync('/proc/self/status', 'utf8'),
)?.[1];
process.stdout.write(`${JSON.stringify({ module: what, ...usage, threads: Number(threads) })}\n`);
