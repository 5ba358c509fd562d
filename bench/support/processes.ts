/**
 * Child processes of the benchmarks: the edge (see edge-process.ts), the egress service
 * (`node bin/egress.js service`),
 * and what /proc says about them (CPU time, peak RSS).
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AwsTarget } from '../../src/aws/target.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLOCK_TICKS = 100; // USER_HZ on Linux

/** User + system CPU seconds a process has used so far (Linux /proc). */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Peak resident set size (VmHWM) and current RSS of a process, in MiB. */
export async function memoryMiB(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
  return { rss: Math.round(kb('VmRSS') / 102.4) / 10, peak: Math.round(kb('VmHWM') / 102.4) / 10 };
}

async function exited(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Objects created in watched buckets, as the edge's onS3Write hook reported them. */
export class WriteLog {
  /** Creations per `bucket/key`. */
  readonly perKey = new Map<string, number>();
  private readonly waiters = new Set<{
    bucket: string;
    prefix: string;
    remaining: number;
    resolve: (at: number) => void;
  }>();

  record(bucket: string, key: string): void {
    const id = `${bucket}/${key}`;
    const seen = this.perKey.get(id) ?? 0;
    this.perKey.set(id, seen + 1);
    if (seen > 0) return;
    const now = performance.now();
    for (const waiter of this.waiters) {
      if (waiter.bucket !== bucket || !key.startsWith(waiter.prefix)) continue;
      waiter.remaining -= 1;
      if (waiter.remaining === 0) {
        this.waiters.delete(waiter);
        waiter.resolve(now);
      }
    }
  }

  /** Distinct keys created so far under `bucket/prefix`. */
  distinct(bucket: string, prefix: string): number {
    const start = `${bucket}/${prefix}`;
    let count = 0;
    for (const id of this.perKey.keys()) if (id.startsWith(start)) count += 1;
    return count;
  }

  /**
   * Resolves with `performance.now()` at the moment `count` distinct keys (counting those already
   * seen) exist under `bucket/prefix`.
   */
  waitForDistinct(bucket: string, prefix: string, count: number, timeoutMs: number): Promise<number> {
    const remaining = count - this.distinct(bucket, prefix);
    if (remaining <= 0) return Promise.resolve(performance.now());
    return new Promise((resolve, reject) => {
      const waiter = {
        bucket,
        prefix,
        remaining,
        resolve: (at: number) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(
          new Error(
            `timed out after ${timeoutMs} ms: ${count - waiter.remaining} of ${count} objects under s3://${bucket}/${prefix}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }
}

/** The edge in its own process. */
export interface EdgeProcess {
  readonly pid: number;
  readonly endpoint: string;
  readonly target: AwsTarget;
  /** The stub NiFi's URL when started with `nifiCertsDir`. */
  readonly nifiUrl: string | undefined;
  readonly writes: WriteLog;
  /** Report creations in these buckets to {@link writes}. */
  watch(...buckets: string[]): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the embedded edge (and optionally a stub NiFi using the certificates in `nifiCertsDir`) in a child process. */
export async function startEdgeProcess(options: { nifiCertsDir?: string } = {}): Promise<EdgeProcess> {
  const child = fork(
    path.join(ROOT, 'bench/support/edge-process.ts'),
    options.nifiCertsDir ? ['--nifi', options.nifiCertsDir] : [],
    { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'], cwd: ROOT },
  );
  const writes = new WriteLog();
  let watching: (() => void) | undefined;
  const ready = new Promise<{ endpoint: string; nifiUrl?: string }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`edge process exited with ${code} before it was ready`)));
    child.on('message', (message: { type: string; [k: string]: unknown }) => {
      if (message.type === 'ready') resolve(message as never);
      else if (message.type === 'write') writes.record(message.bucket as string, message.key as string);
      else if (message.type === 'watching') watching?.();
    });
  });
  const { endpoint, nifiUrl } = await ready;
  return {
    pid: child.pid!,
    endpoint,
    nifiUrl,
    target: { region: 'eu-west-2', endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } },
    writes,
    async watch(...buckets) {
      const acknowledged = new Promise<void>((resolve) => {
        watching = resolve;
      });
      child.send({ type: 'watch', buckets });
      await acknowledged;
    },
    async stop() {
      if (child.connected) child.send({ type: 'stop' });
      await exited(child, 10_000);
    },
  };
}

/** A running egress service process. */
export interface ServiceProcess {
  readonly pid: number;
  /** Milliseconds from spawn to "egress service running". */
  readonly startMs: number;
  /** Everything the process wrote (JSON logs), for diagnosing failures. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `node bin/egress.js service` (the real command) configured by environment variables —
 * or, with `entry: 'service-only'`, the same service through bench/support/service-entry.ts, which
 * loads only the service's modules (a what-if for the memory benchmark). Resolves once it prints
 * "egress service running".
 */
export async function startServiceProcess(
  endpoint: string,
  env: Record<string, string>,
  options: { keepOutput?: boolean; nodeArgs?: string[]; entry?: 'cli' | 'service-only' } = {},
): Promise<ServiceProcess> {
  const started = performance.now();
  const entry =
    options.entry === 'service-only'
      ? ['--import', 'tsx', path.join(ROOT, 'bench/support/service-entry.ts')]
      : [path.join(ROOT, 'bin/egress.js'), 'service'];
  const args = [...(options.nodeArgs ?? []), ...entry];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: 'eu-west-2',
      AWS_ACCESS_KEY_ID: '',
      EGRESS_METRICS_PORT: '0',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let ready = false;
  const keep = (chunk: Buffer) => {
    // Keep the start and the last 64 KiB: enough to explain a failure, bounded for 10,000-object runs.
    if (!ready || options.keepOutput) output += chunk;
    else output = (output + chunk).slice(-65_536);
  };
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      keep(chunk);
      if (!ready && output.includes('egress service running')) {
        ready = true;
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      if (!ready) reject(new Error(`egress service exited with ${code} before it was ready:\n${output}`));
    });
  });
  return {
    pid: child.pid!,
    startMs: performance.now() - started,
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      await exited(child, 15_000);
    },
  };
}
