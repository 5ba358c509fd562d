/*
 * The record in `<state-dir>/sandbox.lock` and the decisions about it, without I/O: who holds the
 * state directory, whether that holder is still alive, and how to say so to a person.
 */

/** What a lock holder is doing with the state directory. */
export type LockPurpose = 'sandbox' | 'reset';

/** The content of the lock file (JSON). */
export interface LockHolder {
  readonly purpose: LockPurpose;
  readonly pid: number;
  /** ISO time the lock was taken. */
  readonly startedAt: string;
  /** The host the holder runs on; a pid says nothing about another host's processes. */
  readonly hostname: string;
  /**
   * The kernel's start time of the process (Linux `/proc/<pid>/stat` field 22), so that a new
   * process that happens to get a dead holder's pid is not taken for it. Absent elsewhere.
   */
  readonly processStart?: string | undefined;
  /** The AWS endpoint, once the sandbox knows it. */
  readonly endpoint?: string | undefined;
  /** The dashboard, once it listens. */
  readonly dashboard?: string | undefined;
}

/** What is known about a pid on this host. */
export interface ProcessProbe {
  readonly hostname: string;
  /** True when a process with this pid exists (including one we may not signal). */
  exists(pid: number): boolean;
  /** The process's start token, when the platform tells (see {@link LockHolder.processStart}). */
  startToken(pid: number): string | undefined;
}

/** The verdict on a lock found in place. */
export type Liveness =
  | { readonly alive: true; readonly why: string }
  | { readonly alive: false; readonly why: string };

/**
 * Whether the holder still runs. A holder on another host is assumed alive (its pid cannot be
 * checked from here); a pid that exists but started at another time is a different process.
 */
export function holderLiveness(holder: LockHolder, probe: ProcessProbe): Liveness {
  if (holder.hostname !== probe.hostname) {
    return {
      alive: true,
      why: `held from another host (${holder.hostname}); cannot check its pid from here`,
    };
  }
  if (!probe.exists(holder.pid)) return { alive: false, why: `process ${holder.pid} is gone` };
  const start = probe.startToken(holder.pid);
  if (holder.processStart !== undefined && start !== undefined && start !== holder.processStart) {
    return {
      alive: false,
      why: `process ${holder.pid} is gone (the pid now belongs to a process started later)`,
    };
  }
  return { alive: true, why: `process ${holder.pid} is running` };
}

/** Parses the lock file's text; undefined when it is not a lock record (an empty or foreign file). */
export function parseLockHolder(text: string): LockHolder | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (!Number.isInteger(record.pid) || (record.pid as number) <= 0) return undefined;
  if (typeof record.startedAt !== 'string' || typeof record.hostname !== 'string') return undefined;
  const optional = (name: string) =>
    typeof record[name] === 'string' ? (record[name] as string) : undefined;
  return {
    purpose: record.purpose === 'reset' ? 'reset' : 'sandbox',
    pid: record.pid as number,
    startedAt: record.startedAt,
    hostname: record.hostname,
    processStart: optional('processStart'),
    endpoint: optional('endpoint'),
    dashboard: optional('dashboard'),
  };
}

/** `sandbox pid 1234 (started …, AWS endpoint …)`: the holder named for a person. */
export function describeHolder(holder: LockHolder): string {
  const what = holder.purpose === 'reset' ? '`egress reset`' : 'a sandbox';
  const details = [`started ${holder.startedAt}`];
  if (holder.purpose === 'sandbox') {
    details.push(holder.endpoint ? `AWS endpoint ${holder.endpoint}` : 'still starting, no endpoint yet');
  }
  if (holder.dashboard) details.push(`dashboard ${holder.dashboard}`);
  return `${what} with pid ${holder.pid}${holder.hostname ? ` on ${holder.hostname}` : ''} (${details.join(', ')})`;
}

/**
 * The start time of a process from the text of Linux's `/proc/<pid>/stat`: field 22, counted after
 * the command name, which is in parentheses and may itself hold spaces and parentheses.
 */
export function startTokenFromProcStat(stat: string): string | undefined {
  const end = stat.lastIndexOf(')');
  if (end < 0) return undefined;
  // After ") " come field 3 (state) onwards; field 22 is the 20th of them.
  const fields = stat
    .slice(end + 1)
    .trim()
    .split(/\s+/);
  const token = fields[19];
  return token && /^\d+$/.test(token) ? token : undefined;
}
