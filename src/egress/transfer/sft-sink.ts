import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, realpath, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertInside, resolveSftLocation } from '../plan/sft-paths.ts';
import { ByteCounter } from './byte-counter.ts';

/** One file write under the SFT root. */
export interface SftWrite {
  sftRoot: string;
  /** The rule's expanded `destination_prefix`, mapped under `sftRoot` by a plain join. */
  directory: string;
  fileName: string;
  stages: [Readable, ...Transform[]];
  signal: AbortSignal;
}

/**
 * Creates `directory` (already known to be lexically under `root`) one segment at a time, checking
 * each existing segment's real path first: a symbolic link that leads out of the root is refused
 * before anything is created beyond it (a recursive mkdir would create the missing folders at the
 * link's target first and only then let the check fail). Returns the directory's real path.
 */
async function ensureDirectoryInside(root: string, directory: string, shownAs: string): Promise<string> {
  const realRoot = await realpath(root);
  let current = realRoot;
  for (const segment of path.relative(root, directory).split(path.sep).filter(Boolean)) {
    const next = path.join(current, segment);
    let entry = await lstat(next).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (!entry) {
      await mkdir(next).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
      entry = await lstat(next);
    }
    if (entry.isSymbolicLink()) {
      current = await realpath(next);
      assertInside(realRoot, current, shownAs);
    } else if (entry.isDirectory()) {
      current = next;
    } else {
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${next}'`), { code: 'ENOTDIR' });
    }
  }
  return current;
}

/** File names are limited to 255 bytes; keep room for the temporary name's decoration. */
const MAX_TEMP_STEM = 180;

/**
 * Writes a file for the SFT agent: into a hidden temporary name in the target directory, then an
 * atomic rename to the final name — the agent never sees a half-written file (the original wrote in
 * place and relied on the agent's 20 s `minAge`, spec §10.26). An existing file is replaced.
 *
 * Paths that would leave `sftRoot` are refused (see `resolveSftLocation`), and so is a directory
 * reached through a symbolic link that leads outside — before anything is created there.
 *
 * @returns the number of bytes written.
 */
export async function writeToSft(write: SftWrite): Promise<number> {
  const location = resolveSftLocation(write.sftRoot, write.directory, write.fileName);
  const realDirectory = await ensureDirectoryInside(write.sftRoot, location.directory, write.directory);

  const stem = write.fileName.slice(0, MAX_TEMP_STEM);
  const temporary = path.join(realDirectory, `.${stem}.${randomBytes(6).toString('hex')}.partial`);
  const counter = new ByteCounter();
  try {
    await pipeline([...write.stages, counter, createWriteStream(temporary, { flags: 'wx' })], {
      signal: write.signal,
    });
    await rename(temporary, path.join(realDirectory, write.fileName));
    return counter.bytes;
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
