/**
 * Starts the whole sandbox IN this process (ports 0, a temporary state dir), lets it idle, collects
 * garbage, and prints where the memory is: process.memoryUsage(), V8 heap spaces, code statistics,
 * and the largest constructors of a heap snapshot. Run with --expose-gc.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { startSandbox } from '../../src/sandbox/sandbox.ts';
import { resolveSandboxSettings } from '../../src/sandbox/settings.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
for (const name of [
  'EGRESS_EDGE_PORT',
  'EGRESS_DKS_PORT',
  'EGRESS_NIFI_PORT',
  'EGRESS_METRICS_PORT',
  'EGRESS_DASHBOARD_PORT',
]) {
  process.env[name] = '0';
}
const mib = (n: number) => Math.round((n / 1048576) * 10) / 10;
const stateDir = await mkdtemp(path.join(os.tmpdir(), 'bench-memory-'));
const sandbox = await startSandbox({ settings: resolveSandboxSettings({ stateDir }) });
await new Promise((resolve) => setTimeout(resolve, 3000));
globalThis.gc?.();
await new Promise((resolve) => setTimeout(resolve, 500));
const status = await readFile('/proc/self/status', 'utf8');
const usage = process.memoryUsage();
const spaces = Object.fromEntries(
  v8.getHeapSpaceStatistics().map((space) => [space.space_name, mib(space.space_used_size)]),
);
const code = v8.getHeapCodeStatistics();

// Largest constructors by self size, from a heap snapshot.
const snapshotFile = v8.writeHeapSnapshot(path.join(stateDir, 'idle.heapsnapshot'));
const snapshot = JSON.parse(await readFile(snapshotFile, 'utf8')) as {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
};
const fields = snapshot.snapshot.meta.node_fields;
const typeNames = snapshot.snapshot.meta.node_types[0];
const width = fields.length;
const typeAt = fields.indexOf('type');
const nameAt = fields.indexOf('name');
const sizeAt = fields.indexOf('self_size');
const byName = new Map<string, number>();
for (let i = 0; i < snapshot.nodes.length; i += width) {
  const type = typeNames[snapshot.nodes[i + typeAt]!]!;
  const name =
    type === 'object' || type === 'native' ? snapshot.strings[snapshot.nodes[i + nameAt]!]! : `(${type})`;
  byName.set(name, (byName.get(name) ?? 0) + snapshot.nodes[i + sizeAt]!);
}
const top = [...byName.entries()]
  .sort((a, b) => b[1] - a[1])
  .slice(0, 15)
  .map(([name, size]) => ({ name, mib: mib(size) }));

process.stdout.write(
  `${JSON.stringify({
    rss: mib(usage.rss),
    peak: mib(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]) * 1024),
    heapUsed: mib(usage.heapUsed),
    heapTotal: mib(usage.heapTotal),
    external: mib(usage.external),
    arrayBuffers: mib(usage.arrayBuffers),
    threads: Number(/Threads:\s+(\d+)/.exec(status)?.[1]),
    spaces,
    bytecodeAndMetadata: mib(code.bytecode_and_metadata_size),
    code: mib(code.code_and_metadata_size),
    externalScriptSource: mib(code.external_script_source_size),
    top,
  })}\n`,
);
await sandbox.stop();
await rm(stateDir, { recursive: true, force: true });
