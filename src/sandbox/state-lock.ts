import { randomUUID } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import {
  describeHolder,
  holderLiveness,
  type LockHolder,
  type LockPurpose,
  type ProcessProbe,
  parseLockHolder,
  startTokenFromProcStat,
} from './lock-holder.ts';

/*
 * One sandbox per state directory: `<state-dir>/sandbox.lock` names its holder (pid, start time,
 * endpoint). It is taken atomically — the record is written to a private file first and then
 * hard-linked to the lock name, which fails when the name exists, so the lock never exists without
 * its content. A lock whose process is gone (a sandbox killed with SIGKILL) is taken over; only the
 * holder of a second, short-lived `sandbox.lock.takeover` may remove a stale lock, so two starters
 * never both remove it and both start.
 */

export const LOCK_FILE_NAME = 'sandbox.lock';
const TAKEOVER_SUFFIX = '.takeover';
/** How long to wait for another process's takeover before saying the directory is busy. */
const TAKEOVER_WAIT_MS = 5_000;

/** Another live process holds the state directory. */
export class StateDirectoryLockedError extends Error {
  override readonly name = 'StateDirectoryLockedError';
  constructor(
    readonly stateDir: string,
    readonly holder: LockHolder,
    readonly wanted: LockPurpose,
  ) {
    const action = wanted === 'reset' ? 'cannot reset it' : 'refusing to start a second one there';
    super(
      `${describeHolder(holder)} holds the state directory ${stateDir}; ${action}. ` +
        `Stop it first (Ctrl-C in its terminal, or kill -TERM ${holder.pid}), or give another --state-dir`,
    );
  }
}

/** This machine's processes, as the lock needs to know them. */
export const localProcesses: ProcessProbe = {
  hostname: os.hostname(),
  exists(pid) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      // EPERM: it exists but belongs to someone else.
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  },
  startToken(pid) {
    try {
      return startTokenFromProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return undefined;
    }
  },
};

export function lockFilePath(stateDir: string): string {
  return path.join(stateDir, LOCK_FILE_NAME);
}

/** What a lock file says, and whether its holder still runs. */
export interface LockStatus {
  readonly holder: LockHolder;
  readonly alive: boolean;
  readonly why: string;
}

/** Reads the lock of a state directory; undefined when there is none (or it is not a lock record). */
export async function readLock(
  stateDir: string,
  probe: ProcessProbe = localProcesses,
): Promise<LockStatus | undefined> {
  let text: string;
  try {
    text = await readFile(lockFilePath(stateDir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const holder = parseLockHolder(text);
  if (!holder) return undefined;
  const liveness = holderLiveness(holder, probe);
  return { holder, alive: liveness.alive, why: liveness.why };
}

/** The running holder of a state directory, or undefined when nothing (alive) holds it. */
export async function liveHolder(
  stateDir: string,
  probe: ProcessProbe = localProcesses,
): Promise<LockHolder | undefined> {
  const status = await readLock(stateDir, probe);
  return status?.alive ? status.holder : undefined;
}

/** Options of {@link StateLock.acquire}. */
export interface AcquireOptions {
  purpose: LockPurpose;
  /** Told when a stale lock (its process gone) is taken over: a note for the person. */
  onTakeover?: ((stale: LockHolder, why: string) => void) | undefined;
  /** @internal tests */
  probe?: ProcessProbe;
}

/** Creates `target` with `content`, atomically; false when the name exists. */
async function createWithContent(target: string, content: string): Promise<boolean> {
  const temporary = `${target}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(temporary, content, { mode: 0o600 });
  try {
    await link(temporary, target);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temporary).catch(() => {});
  }
}

/** The holder of this state directory: this process. */
export class StateLock {
  private released = false;
  // A process that exits without stopping (process.exit on a closed pipe during start-up, a second
  // Ctrl-C, a fatal error) still gives the lock back; only a kill -9 leaves it, to be taken over.
  private readonly releaseOnExit = () => this.releaseSync();

  private constructor(
    readonly stateDir: string,
    private holder: LockHolder,
  ) {
    process.once('exit', this.releaseOnExit);
  }

  get file(): string {
    return lockFilePath(this.stateDir);
  }

  /** The record as written now. */
  get record(): LockHolder {
    return this.holder;
  }

  /**
   * Takes the state directory's lock, or throws {@link StateDirectoryLockedError} naming the live
   * holder. A stale lock is taken over (and `onTakeover` told).
   */
  static async acquire(stateDir: string, options: AcquireOptions): Promise<StateLock> {
    const probe = options.probe ?? localProcesses;
    const holder: LockHolder = {
      purpose: options.purpose,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      hostname: probe.hostname,
      processStart: probe.startToken(process.pid),
    };
    const file = lockFilePath(stateDir);
    const content = `${JSON.stringify(holder, null, 2)}\n`;
    const deadline = Date.now() + TAKEOVER_WAIT_MS;
    for (;;) {
      if (await createWithContent(file, content)) return new StateLock(stateDir, holder);
      const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined; // released meanwhile: try again
        throw error;
      });
      if (text === undefined) continue;
      const found = parseLockHolder(text);
      if (found) {
        const liveness = holderLiveness(found, probe);
        if (liveness.alive) throw new StateDirectoryLockedError(stateDir, found, options.purpose);
        if (await removeStaleLock(file, text, probe)) options.onTakeover?.(found, liveness.why);
      } else {
        // Not a lock record (emptied by hand, a foreign file): nobody can be named as its holder.
        if (await removeStaleLock(file, text, probe)) {
          options.onTakeover?.(
            { purpose: 'sandbox', pid: 0, startedAt: 'unknown', hostname: probe.hostname },
            'the lock file held no readable record',
          );
        }
      }
      if (Date.now() > deadline) {
        throw new Error(`could not take ${file}: another process keeps taking it over; try again`);
      }
      await delay(20);
    }
  }

  /** Adds what the sandbox learnt after starting (its endpoint, its dashboard) to the record. */
  async update(fields: Pick<LockHolder, 'endpoint' | 'dashboard'>): Promise<void> {
    if (this.released) return;
    this.holder = { ...this.holder, ...fields };
    const temporary = `${this.file}.${process.pid}.${randomUUID()}.tmp`;
    await writeFile(temporary, `${JSON.stringify(this.holder, null, 2)}\n`, { mode: 0o600 });
    // A rename replaces the file atomically: a reader sees the old record or the new one.
    await rename(temporary, this.file);
  }

  /** Removes the lock if it is still this process's; safe to call twice. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    process.off('exit', this.releaseOnExit);
    const text = await readFile(this.file, 'utf8').catch(() => undefined);
    if (this.isOurs(text)) await unlink(this.file).catch(() => {});
  }

  /** As {@link release}, synchronously: all an 'exit' listener may do. */
  private releaseSync(): void {
    if (this.released) return;
    this.released = true;
    let text: string | undefined;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return;
    }
    if (!this.isOurs(text)) return;
    try {
      unlinkSync(this.file);
    } catch {
      // Gone already, or the directory went with it: nothing left to give back.
    }
  }

  private isOurs(text: string | undefined): boolean {
    const current = text === undefined ? undefined : parseLockHolder(text);
    return current?.pid === this.holder.pid && current.startedAt === this.holder.startedAt;
  }
}

/**
 * Removes a stale lock whose text is `staleText`, as the only process allowed to: the holder of
 * the takeover file. False when someone else is taking over, or the lock changed meanwhile. (Only
 * a takeover whose own process was killed within its few milliseconds leaves a window open.)
 */
async function removeStaleLock(file: string, staleText: string, probe: ProcessProbe): Promise<boolean> {
  const takeover = `${file}${TAKEOVER_SUFFIX}`;
  const mine = JSON.stringify({
    pid: process.pid,
    startedAt: new Date().toISOString(),
    hostname: probe.hostname,
  });
  if (!(await createWithContent(takeover, mine))) {
    // Someone is taking over. If that someone died in the middle, clear their takeover file.
    const text = await readFile(takeover, 'utf8').catch(() => undefined);
    const other = text === undefined ? undefined : parseLockHolder(text);
    if (text !== undefined && (!other || !holderLiveness(other, probe).alive)) {
      await unlink(takeover).catch(() => {});
    }
    return false;
  }
  try {
    const now = await readFile(file, 'utf8').catch(() => undefined);
    if (now !== staleText) return false;
    try {
      await unlink(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
    return true;
  } finally {
    await unlink(takeover).catch(() => {});
  }
}
