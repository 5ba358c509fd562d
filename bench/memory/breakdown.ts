/**
 * Where the sandbox's idle memory goes (not a benchmark: a diagnostic for the lead).
 * `node --import tsx bench/memory/breakdown.ts` prints:
 * 1. RSS of a bare Node process, and of one importing each main dependency alone (no tsx);
 * 2. the cost of the tsx loader itself (Node 20 runs module hooks in a loader thread);
 * 3. `egress sandbox --no-demo` idle RSS as shipped (through tsx) vs the same code pre-compiled
 *    with esbuild into plain JavaScript (what a build step, or Node ≥ 22.6 type stripping, gives);
 * 4. an in-process breakdown of the idle sandbox (V8 heap spaces, code, biggest constructors).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { EPHEMERAL_PORTS } from '../../src/testing/index.ts';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const PROBE = path.join(ROOT, 'bench/memory/module-probe.mjs');
const MODULES = [
  'fauxqs',
  'dynalite',
  '@aws-sdk/client-s3',
  '@aws-sdk/client-sqs',
  '@aws-sdk/client-dynamodb',
  '@aws-sdk/lib-dynamodb',
  '@aws-sdk/client-ssm',
  '@aws-sdk/client-sts',
  '@aws-sdk/lib-storage',
  'express',
  'pino',
  'prom-client',
  'chokidar',
  'node-forge',
  'zod',
  'sqs-consumer',
  'yaml',
];

async function probe(args: string[]): Promise<{ rss: number; heapUsed: number; threads: number }> {
  const { stdout } = await run(process.execPath, args, { cwd: ROOT });
  const parsed = JSON.parse(stdout.trim().split('\n').pop()!) as {
    rss: number;
    heapUsed: number;
    threads: number;
  };
  return { rss: parsed.rss / 1048576, heapUsed: parsed.heapUsed / 1048576, threads: parsed.threads };
}

async function idleSandbox(args: string[]): Promise<{ rss: number; peak: number }> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'bench-memory-sandbox-'));
  const child = spawn(process.execPath, [...args, 'sandbox', '--no-demo', '--state-dir', stateDir], {
    cwd: ROOT,
    env: {
      ...process.env,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...EPHEMERAL_PORTS,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk;
      if (output.includes('sandbox ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`sandbox exited ${code}: ${output}`)));
  });
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1]);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  await rm(stateDir, { recursive: true, force: true });
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

const fixed = (n: number) => n.toFixed(1);

const bare = await probe(['--expose-gc', PROBE, 'none']);
console.log(`bare node: RSS ${fixed(bare.rss)} MiB, ${bare.threads} threads`);
console.log('one dependency imported alone (no tsx), RSS above bare node:');
for (const module of MODULES) {
  const result = await probe(['--expose-gc', PROBE, module]);
  console.log(
    `  ${module.padEnd(28)} +${fixed(result.rss - bare.rss)} MiB (heap used ${fixed(result.heapUsed)} MiB)`,
  );
}
const withTsx = await probe(['--expose-gc', '--import', 'tsx', PROBE, 'none']);
console.log(
  `tsx loader alone: RSS ${fixed(withTsx.rss)} MiB (+${fixed(withTsx.rss - bare.rss)}), ${withTsx.threads} threads (+${withTsx.threads - bare.threads}: the loader-hooks thread)`,
);

// The same CLI, pre-compiled: one ESM bundle with packages left external, placed two levels below
// a directory that links to config/ so that import.meta.url-relative paths still resolve.
const compiled = path.join(ROOT, '.tmp/memory-js');
await rm(compiled, { recursive: true, force: true });
await mkdir(path.join(compiled, 'src/cli'), { recursive: true });
await symlink(path.join(ROOT, 'config'), path.join(compiled, 'config'));
await build({
  entryPoints: [path.join(ROOT, 'src/cli/main.ts')],
  outfile: path.join(compiled, 'src/cli/main.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'error',
});
await symlink(path.join(ROOT, 'node_modules'), path.join(compiled, 'node_modules'));
const shipped = await idleSandbox([path.join(ROOT, 'bin/egress.js')]);
const precompiled = await idleSandbox([path.join(compiled, 'src/cli/main.mjs')]);
const precompiledSmallHeap = await idleSandbox([
  '--max-semi-space-size=1',
  '--optimize-for-size',
  path.join(compiled, 'src/cli/main.mjs'),
]);
const shippedSmallHeap = await idleSandbox([
  '--max-semi-space-size=1',
  '--optimize-for-size',
  path.join(ROOT, 'bin/egress.js'),
]);
console.log('egress sandbox --no-demo, idle 3 s (RSS, peak):');
console.log(
  `  as shipped (bin/egress.js through tsx)                 ${fixed(shipped.rss)} MiB, ${fixed(shipped.peak)} MiB`,
);
console.log(
  `  + --max-semi-space-size=1 --optimize-for-size          ${fixed(shippedSmallHeap.rss)} MiB, ${fixed(shippedSmallHeap.peak)} MiB`,
);
console.log(
  `  pre-compiled with esbuild (no tsx)                     ${fixed(precompiled.rss)} MiB, ${fixed(precompiled.peak)} MiB`,
);
console.log(
  `  pre-compiled + --max-semi-space-size=1 --optimize-for-size ${fixed(precompiledSmallHeap.rss)} MiB, ${fixed(precompiledSmallHeap.peak)} MiB`,
);
await rm(compiled, { recursive: true, force: true });

const { stdout } = await run(
  process.execPath,
  ['--expose-gc', '--import', 'tsx', path.join(ROOT, 'bench/memory/sandbox-probe.ts')],
  { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
);
console.log('idle sandbox in-process, after GC:');
console.log(JSON.stringify(JSON.parse(stdout.trim().split('\n').pop()!), null, 2));
