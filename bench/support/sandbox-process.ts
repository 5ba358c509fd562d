/**
 * `egress sandbox --no-demo` in a process group of its own, every port free-picked, for the
 * benchmarks that measure the sandbox as shipped: its sandbox.json, the RSS of its whole process
 * group, and (with `inspect`) a full GC run through its inspector before a memory figure.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { resolveSandboxSettings } from '../../src/sandbox/settings.ts';
import type { SandboxState } from '../../src/sandbox/state-file.ts';
import { EPHEMERAL_PORTS } from '../../src/testing/index.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

export interface SandboxProcess {
  readonly pid: number;
  readonly state: SandboxState;
  /** Sum of VmRSS over every process in the sandbox's process group, MiB. */
  groupRssMiB(): Promise<number>;
  /** A full garbage collection in the sandbox process (needs `inspect`). */
  collectGarbage(): Promise<void>;
  stop(): Promise<void>;
}

async function processGroupRssKiB(pgid: number): Promise<number> {
  let total = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid) continue; // field 5: pgrp
      const status = await readFile(`/proc/${entry}/status`, 'utf8');
      total += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    } catch {
      // the process went away meanwhile
    }
  }
  return total;
}

/**
 * Where the sandbox process runs its edge, as its EGRESS_EDGE_THREAD (inherited from the bench's
 * environment) decides: `EGRESS_EDGE_THREAD=0 npm run bench -- latency` measures the old layout.
 */
export function edgeLayout(env: NodeJS.ProcessEnv = process.env): string {
  return resolveSandboxSettings({}, env).edgeThread === false
    ? 'the edge on the sandbox’s main thread (EGRESS_EDGE_THREAD=0)'
    : 'the edge on a worker thread of the sandbox (the default; EGRESS_EDGE_THREAD=0 for the main thread)';
}

export async function startSandboxProcess(
  stateDir: string,
  options: {
    inspect?: boolean;
    env?: Record<string, string>;
    /** Run the sandbox against this endpoint (an edge in another process) instead of its own edge. */
    awsEndpoint?: string;
  } = {},
): Promise<SandboxProcess> {
  const entry = options.awsEndpoint
    ? ['--import', 'tsx', 'bench/support/sandbox-apart-entry.ts', stateDir]
    : ['bin/egress.js', 'sandbox', '--no-demo', '--state-dir', stateDir];
  const args = [...(options.inspect ? ['--inspect=127.0.0.1:0'] : []), ...entry];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    detached: true, // a process group of its own, whose RSS is measured as a whole
    env: {
      ...process.env,
      ...EPHEMERAL_PORTS,
      ...(options.awsEndpoint ? { BENCH_AWS_ENDPOINT: options.awsEndpoint } : {}),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let inspectorUrl: string | undefined;
  await new Promise<void>((resolve, reject) => {
    const check = (chunk: Buffer) => {
      output = (output + chunk).slice(-65_536);
      inspectorUrl ??= /Debugger listening on (ws:\/\/\S+)/.exec(output)?.[1];
      if (output.includes('sandbox ready')) resolve();
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    child.once('exit', (code) => reject(new Error(`sandbox exited ${code}: ${output}`)));
  });
  const state = JSON.parse(await readFile(path.join(stateDir, 'sandbox.json'), 'utf8')) as SandboxState;
  const pid = child.pid!;
  return {
    pid,
    state,
    groupRssMiB: async () => Math.round((await processGroupRssKiB(pid)) / 102.4) / 10,
    async collectGarbage() {
      if (!inspectorUrl) throw new Error('the sandbox was not started with inspect: true');
      await run(process.execPath, [
        '--experimental-websocket',
        '--no-warnings',
        path.join(ROOT, 'bench/support/collect-garbage.mjs'),
        inspectorUrl,
      ]);
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
