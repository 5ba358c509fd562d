import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ensureDirectoryBelowRoot } from '../volume/directories.ts';
import { SftPathRefusedError } from '../volume/errors.ts';
import { createPrivateFile, readRange, renameInPlace } from '../volume/files.ts';
import { MAX_NAME_BYTES, temporaryName, utf8Length } from '../volume/names.ts';
import { ActionError } from './action-error.ts';
import type { SourceFile } from './http-request.ts';

/**
 * Copies the source file to `<destinationDir>/<name>` through a hidden temporary name and an atomic
 * rename, so a route watching the destination (the RIS → ris-tmp → NiFi chain) never sees half a
 * file, and the temporary name is one every watcher ignores. An existing file of that name is
 * replaced, as the original's writeFile overwrote.
 *
 * The destination directory (created 0700 if missing) and every directory above it up to `root`
 * must be real directories: a symbolic link at any level is a permanent failure, so nothing is ever
 * copied out of the SFT root. The copy is created 0600 and read from the source's open handle.
 */
export async function writeFileAction(
  source: SourceFile,
  root: string,
  destinationDir: string,
  name: string,
  signal?: AbortSignal,
): Promise<string> {
  if (utf8Length(name) > MAX_NAME_BYTES) {
    throw new ActionError(
      `name too long: "${name}" is ${utf8Length(name)} bytes, the limit is ${MAX_NAME_BYTES}`,
      {
        retryable: false,
      },
    );
  }
  try {
    const directory = await ensureDirectoryBelowRoot(root, destinationDir, { create: true });
    const target = path.join(directory, name);
    const temporary = await createPrivateFile(
      root,
      path.join(directory, temporaryName(name, randomBytes(4).toString('hex'))),
    );
    try {
      await pipeline(readRange(source, 0), temporary.handle.createWriteStream(), signal ? { signal } : {});
      await renameInPlace(root, temporary.path, target, temporary.stats);
    } catch (error) {
      await temporary.handle.close().catch(() => undefined);
      await rm(temporary.path, { force: true });
      throw error;
    }
    return target;
  } catch (error) {
    if (error instanceof SftPathRefusedError) {
      throw new ActionError(error.message, { retryable: false, cause: error });
    }
    throw error;
  }
}
