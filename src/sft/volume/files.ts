import type { Stats } from 'node:fs';
import { constants, createReadStream, type ReadStream, read } from 'node:fs';
import { type FileHandle, lstat, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ensureDirectoryBelowRoot } from './directories.ts';
import { SftPathRefusedError } from './errors.ts';
import { PRIVATE_FILE_MODE } from './modes.ts';

/** What identifies a file whatever its name: device and inode. */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
}

/** An open file under the SFT root, checked to be what its path names. */
export interface OpenedFile {
  readonly handle: FileHandle;
  /** `fstat` of the handle when it was opened. */
  readonly stats: Stats;
  /** The absolute path it was opened by. */
  readonly path: string;
}

/**
 * A stream of bytes `start`…`end` (inclusive) of an opened file, read by position through its
 * descriptor. Destroying the stream (a failed request) leaves the handle open for the next attempt:
 * a stream made by `FileHandle.createReadStream` would close it even with `autoClose: false`.
 */
export function readRange(
  opened: OpenedFile | Pick<OpenedFile, 'handle' | 'path'>,
  start: number,
  end?: number,
): ReadStream {
  return createReadStream(opened.path, {
    fd: opened.handle.fd,
    start,
    ...(end === undefined ? {} : { end }),
    autoClose: false,
    // The documented override of the stream's file operations: read by position, never close.
    fs: { read, close: (_fd: number, callback: (error?: Error | null) => void) => callback(null) },
  });
}

function sameFile(a: FileIdentity, b: FileIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/**
 * Throws {@link SftPathRefusedError} unless `file` is still the regular file `identity` names, in a
 * directory that is reached from the root without any symbolic link. Called right before each
 * operation by path (rename, unlink), since those cannot be done through a handle in Node.
 */
export async function assertInPlace(root: string, file: string, identity: FileIdentity): Promise<void> {
  await ensureDirectoryBelowRoot(root, path.dirname(file), { create: false });
  const now = await lstat(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!now) throw new SftPathRefusedError(`${file} is gone`, file, 'gone');
  if (!now.isFile() || !sameFile(now, identity)) {
    throw new SftPathRefusedError(
      `${file} was replaced by another entry while it was being used`,
      file,
      'replaced',
    );
  }
}

/**
 * Opens a file under the SFT root for reading, refusing (with {@link SftPathRefusedError}) anything
 * that could make the reader read outside it or block: a symbolic link as the file (`O_NOFOLLOW`) or
 * as any directory above it up to the root, something other than a regular file (a FIFO is opened
 * non-blocking, then refused), a file with several hard links (one of them may be outside), and a
 * path swapped while it was being opened (the handle and the path must name the same inode,
 * checked after the open). The caller reads through the handle and closes it.
 */
export async function openRegularFile(root: string, file: string): Promise<OpenedFile> {
  await ensureDirectoryBelowRoot(root, path.dirname(file), { create: false });
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new SftPathRefusedError(`${file} is a symbolic link`, file, 'symbolic-link');
    }
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile())
      throw new SftPathRefusedError(`${file} is not a regular file`, file, 'not-a-regular-file');
    if (stats.nlink > 1) {
      throw new SftPathRefusedError(
        `${file} has ${stats.nlink} hard links (one may be outside the SFT root)`,
        file,
        'hard-links',
      );
    }
    await assertInPlace(root, file, stats);
    return { handle, stats, path: file };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * Creates `file` exclusively (`O_CREAT | O_EXCL | O_NOFOLLOW`, mode 0600) in a directory under the
 * root that is first made or checked link-free; after the open, the path must still name the new
 * file. For writers' temporary files, renamed into place with {@link renameInPlace}.
 */
export async function createPrivateFile(root: string, file: string): Promise<OpenedFile> {
  await ensureDirectoryBelowRoot(root, path.dirname(file), { create: true });
  const handle = await open(
    file,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    PRIVATE_FILE_MODE,
  );
  try {
    const stats = await handle.stat();
    await assertInPlace(root, file, stats);
    return { handle, stats, path: file };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * Renames `from` (which must still be the file `identity` names) to `to`, checking both directories
 * for links right before. `rename` replaces an entry at `to`, a link included, without following it.
 */
export async function renameInPlace(
  root: string,
  from: string,
  to: string,
  identity: FileIdentity,
): Promise<void> {
  await assertInPlace(root, from, identity);
  await ensureDirectoryBelowRoot(root, path.dirname(to), { create: false });
  await rename(from, to);
}

/** Removes `file` if it is still the file `identity` names, in a link-free directory. */
export async function unlinkInPlace(root: string, file: string, identity: FileIdentity): Promise<void> {
  await assertInPlace(root, file, identity);
  await unlink(file);
}
