import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, realpath, rename, rm } from 'node:fs/promises';
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

/** File names are limited to 255 bytes; keep room for the temporary name's decoration. */
const MAX_TEMP_STEM = 180;

/**
 * Writes a file for the SFT agent: into a hidden temporary name in the target directory, then an
 * atomic rename to the final name — the agent never sees a half-written file (the original wrote in
 * place and relied on the agent's 20 s `minAge`, spec §10.26). An existing file is replaced.
 *
 * Paths that would leave `sftRoot` are refused (see `resolveSftLocation`); after creating the
 * directory its real path is checked too, so a symbolic link cannot lead outside.
 *
 * @returns the number of bytes written.
 */
export async function writeToSft(write: SftWrite): Promise<number> {
  const location = resolveSftLocation(write.sftRoot, write.directory, write.fileName);
  await mkdir(location.directory, { recursive: true });
  const realRoot = await realpath(write.sftRoot);
  const realDirectory = await realpath(location.directory);
  assertInside(realRoot, realDirectory, write.directory);

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
