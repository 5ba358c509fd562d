import { lstat, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { LOCK_FILE_NAME, StateLock } from './state-lock.ts';

/*
 * `egress reset`: a state directory emptied of everything a sandbox keeps there — the persisted
 * state (`data/`), S3 bodies, logs, certificates, the SFT root, sandbox.json — while holding the
 * directory's lock, so no sandbox runs in it meanwhile. Only the sandbox's own entries go: a state
 * directory given by mistake (a home directory) loses nothing else.
 */

/** The entries a sandbox creates in its state directory. */
export const SANDBOX_ENTRIES: readonly string[] = ['data', 's3', 'logs', 'certs', 'sft-root', 'sandbox.json'];

/** Splits a state directory's entries into the sandbox's own (removed) and the rest (kept). Pure. */
export function planReset(entries: readonly string[]): { remove: string[]; keep: string[] } {
  const remove: string[] = [];
  const keep: string[] = [];
  for (const entry of [...entries].sort()) {
    if (entry === LOCK_FILE_NAME) continue; // held by the reset itself, released at the end
    const own =
      SANDBOX_ENTRIES.includes(entry) ||
      // Temporary files of an atomic write cut short by a kill (sandbox.json, the lock, the snapshot).
      /^(sandbox\.json|sandbox\.lock(\.takeover)?)\.\d+\.[\w-]+\.tmp$/.test(entry) ||
      /^sandbox\.json\.\d+\.tmp$/.test(entry) ||
      entry === `${LOCK_FILE_NAME}.takeover`;
    (own ? remove : keep).push(entry);
  }
  return { remove, keep };
}

/** What a reset did. */
export interface ResetReport {
  readonly stateDir: string;
  /** Entries removed, with their size on disk in bytes. */
  readonly removed: readonly { readonly name: string; readonly bytes: number }[];
  /** Entries that are not the sandbox's, left alone. */
  readonly kept: readonly string[];
}

async function sizeOf(target: string): Promise<number> {
  const info = await lstat(target).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const entry of await readdir(target)) total += await sizeOf(path.join(target, entry));
  return total;
}

/**
 * Empties a state directory of the sandbox's entries.
 *
 * @throws StateDirectoryLockedError when a sandbox (or another reset) runs in it — nothing is removed
 */
export async function resetStateDirectory(stateDir: string): Promise<ResetReport> {
  const dir = path.resolve(stateDir);
  const entries = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (entries === undefined) return { stateDir: dir, removed: [], kept: [] };
  const lock = await StateLock.acquire(dir, { purpose: 'reset' });
  try {
    const { remove, keep } = planReset(await readdir(dir));
    const removed: { name: string; bytes: number }[] = [];
    for (const name of remove) {
      const target = path.join(dir, name);
      const bytes = await sizeOf(target);
      await rm(target, { recursive: true, force: true });
      removed.push({ name, bytes });
    }
    return { stateDir: dir, removed, kept: keep };
  } finally {
    await lock.release();
  }
}
