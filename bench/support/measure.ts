import { performance } from 'node:perf_hooks';
import { round } from '../lib.ts';
import { cpuSeconds } from './processes.ts';

/** CPU used by each named process over a stretch of wall time, as % of one core. */
export interface CpuShare {
  [name: string]: number;
}

/**
 * Runs `work` and reports its wall time and the CPU each process used meanwhile (`self` is this
 * process). `work` may return the moment it considers the end (a `performance.now()` value);
 * `from` moves the start earlier (a moment already passed, e.g. a process becoming ready).
 */
export async function measured(
  pids: Record<string, number>,
  work: () => Promise<unknown>,
  from?: number,
): Promise<{ ms: number; cpu: CpuShare }> {
  const before = await Promise.all(Object.values(pids).map((pid) => cpuSeconds(pid)));
  const selfBefore = process.cpuUsage();
  const started = from ?? performance.now();
  const endedAt = await work();
  const ended = typeof endedAt === 'number' ? endedAt : performance.now();
  const ms = ended - started;
  const self = process.cpuUsage(selfBefore);
  const after = await Promise.all(Object.values(pids).map((pid) => cpuSeconds(pid)));
  const cpu: CpuShare = { self: round(((self.user + self.system) / 1000 / ms) * 100, 0) };
  Object.keys(pids).forEach((name, i) => {
    cpu[name] = round((((after[i]! - before[i]!) * 1000) / ms) * 100, 0);
  });
  return { ms, cpu };
}

export function describeCpu(cpu: CpuShare): string {
  return Object.entries(cpu)
    .map(([name, share]) => `${name} ${share}%`)
    .join(', ');
}

/** MiB/s for `bytes` in `ms`. */
export function mibPerSecond(bytes: number, ms: number): number {
  return round(bytes / 1024 / 1024 / (ms / 1000), 1);
}
