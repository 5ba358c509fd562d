import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  createPrivateFile,
  ensureDirectoryBelowRoot,
  renameInPlace,
  SftPathRefusedError,
  temporaryName,
} from '../../sft/volume/index.ts';
import { UnsafeDestinationError } from '../errors.ts';
import { resolveSftLocation } from '../plan/sft-paths.ts';
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

/** A refusal of the SFT volume becomes the object's failure, with its reason (retried, then the DLQ). */
function asTransferError(error: unknown): unknown {
  if (!(error instanceof SftPathRefusedError)) return error;
  return new UnsafeDestinationError(error.message, {}, { cause: error });
}

/**
 * Writes a file for the SFT agent: into a hidden temporary name in the target directory, then an
 * atomic rename to the final name — the agent never sees a half-written file (the original wrote in
 * place and relied on the agent's 20 s `minAge`, behaviour §10.26). An existing file is replaced.
 *
 * Paths that would leave `sftRoot` are refused (see `resolveSftLocation`). On disk, the directory is
 * made (0700) or checked one level at a time from the root's real path, and a symbolic link at ANY
 * level below the root is refused, wherever it points — before anything is created beyond it. The
 * temporary file is created exclusively, without following links, 0600 (the data may be decrypted),
 * and the directories are checked again right before the rename.
 *
 * @returns the number of bytes written.
 */
export async function writeToSft(write: SftWrite): Promise<number> {
  const location = resolveSftLocation(write.sftRoot, write.directory, write.fileName);
  try {
    const directory = await ensureDirectoryBelowRoot(
      write.sftRoot,
      location.directory,
      { create: true },
      write.directory,
    );
    const temporary = await createPrivateFile(
      write.sftRoot,
      path.join(directory, temporaryName(write.fileName, randomBytes(6).toString('hex'))),
    );
    const counter = new ByteCounter();
    try {
      await pipeline([...write.stages, counter, temporary.handle.createWriteStream()], {
        signal: write.signal,
      });
      await renameInPlace(
        write.sftRoot,
        temporary.path,
        path.join(directory, write.fileName),
        temporary.stats,
      );
      return counter.bytes;
    } catch (error) {
      await temporary.handle.close().catch(() => undefined);
      await rm(temporary.path, { force: true });
      throw error;
    }
  } catch (error) {
    throw asTransferError(error);
  }
}
