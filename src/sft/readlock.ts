import type { Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { ReadLockConfig } from './config/types.ts';

export interface ReadLockHooks {
  /** Called once when the file has not settled within `timeoutMs`; waiting continues. */
  onTimeout?: (waitedMs: number) => void;
  signal?: AbortSignal | undefined;
}

/**
 * Waits until a file has not changed (size and modification time) for `minAgeMs`, checking every
 * `checkIntervalMs`, and returns its (`lstat`) stats, or `undefined` if it disappeared. This is the
 * original's read-lock: writers that write in place (the original egress service did) are never
 * read half-way. Chokidar's `awaitWriteFinish` already held the event back until the size was
 * stable; this also catches same-size rewrites and covers files found at start-up.
 *
 * The original gave up after `timeout` and tried again on its next poll; waiting on is the same
 * thing without a poll, so the timeout only produces a warning.
 */
export async function waitForReadLock(
  file: string,
  readLock: ReadLockConfig,
  hooks: ReadLockHooks = {},
): Promise<Stats | undefined> {
  const started = Date.now();
  let warned = false;
  let last: Stats | undefined;
  let lastChange = 0;
  for (;;) {
    hooks.signal?.throwIfAborted();
    let current: Stats;
    try {
      current = await lstat(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const now = Date.now();
    if (!last) {
      // A modification time in the future (clock skew, `touch -d`) counts from now.
      lastChange = Math.min(now, current.mtimeMs);
    } else if (last.size !== current.size || last.mtimeMs !== current.mtimeMs) {
      lastChange = now;
    }
    last = current;
    const quietFor = now - lastChange;
    if (quietFor >= readLock.minAgeMs) return current;
    if (!warned && now - started >= readLock.timeoutMs) {
      warned = true;
      hooks.onTimeout?.(now - started);
    }
    const wait = Math.max(10, Math.min(readLock.checkIntervalMs, readLock.minAgeMs - quietFor + 5));
    await delay(wait, undefined, hooks.signal ? { signal: hooks.signal } : undefined);
  }
}
