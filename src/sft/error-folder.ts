import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, lstat, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ensureDirectoryBelowRoot } from './volume/directories.ts';
import { assertInPlace, createPrivateFile, type FileIdentity, renameInPlace } from './volume/files.ts';
import { fitName, MAX_NAME_BYTES, temporaryName, utf8Length } from './volume/names.ts';

/** The sidecar `<name>.error.json` written next to a failed file in the route's error folder. */
export interface ErrorRecord {
  route: string;
  routeIndex: number;
  /** The file's name in the source directory (the name it has in the error folder, unless taken). */
  file: string;
  /** Where it was picked up. */
  source: string;
  /** The name after `renameFile` actions, if any ran. */
  sentName: string;
  action: string;
  actionIndex: number;
  /** URL or directory the failed action targeted. */
  destination?: string | undefined;
  attempts: number;
  /** True when the failure could not be helped by retrying (4xx, unusable name). */
  permanent: boolean;
  lastStatus?: number | undefined;
  lastError: string;
  firstAttemptAt: string;
  failedAt: string;
}

const SIDECAR_SUFFIX = '.error.json';

/** Room for a name whose sidecar `<name>.error.json` still fits in one path segment. */
const MAX_ERROR_NAME_BYTES = MAX_NAME_BYTES - utf8Length(SIDECAR_SUFFIX);

async function exists(file: string): Promise<boolean> {
  return lstat(file).then(
    () => true,
    () => false,
  );
}

/**
 * The name a failed file gets in the error folder: its own name, else `<name>.<timestamp>[-n]` (an
 * earlier failure is never overwritten); shortened where needed so that the name and its sidecar
 * both fit in 255 bytes.
 */
export function errorFolderName(name: string, stamp: string, attempt: number): string {
  if (attempt === 0) return fitName(name, '', MAX_ERROR_NAME_BYTES);
  return fitName(name, `.${stamp}${attempt > 1 ? `-${attempt - 1}` : ''}`, MAX_ERROR_NAME_BYTES);
}

async function freeName(dir: string, name: string): Promise<string> {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('.', '');
  for (let attempt = 0; ; attempt++) {
    const candidate = errorFolderName(name, stamp, attempt);
    if (
      !(await exists(path.join(dir, candidate))) &&
      !(await exists(path.join(dir, `${candidate}${SIDECAR_SUFFIX}`)))
    )
      return candidate;
  }
}

/** Moves across file systems too (the error folder may be another mount). */
async function move(root: string, from: string, to: string, identity: FileIdentity): Promise<void> {
  try {
    await renameInPlace(root, from, to, identity);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    await copyFile(from, to, constants.COPYFILE_EXCL);
    await assertInPlace(root, from, identity);
    await unlink(from);
  }
}

/**
 * Moves a failed file into `errorDir` and writes `<name>.error.json` beside it. The sidecar is
 * written first (a private temporary file, then a rename): if the move then fails, the file is
 * still in its source directory and the sidecar says what happened. Returns the new paths.
 *
 * `errorDir` (created 0700 if missing) and the source's directory must be reached from `root`
 * without symbolic links, and the source must still be the file `identity` names; otherwise
 * nothing moves (`SftPathRefusedError`), so a file is never renamed out of the SFT root.
 */
export async function moveToErrorFolder(
  root: string,
  sourcePath: string,
  identity: FileIdentity,
  errorDir: string,
  record: ErrorRecord,
): Promise<{ file: string; sidecar: string }> {
  const directory = await ensureDirectoryBelowRoot(root, errorDir, { create: true });
  const name = await freeName(directory, path.basename(sourcePath));
  const file = path.join(directory, name);
  const sidecar = `${file}${SIDECAR_SUFFIX}`;
  const temporary = await createPrivateFile(
    root,
    path.join(directory, temporaryName(name, randomBytes(4).toString('hex'))),
  );
  try {
    await temporary.handle.writeFile(`${JSON.stringify(record, null, 2)}\n`);
    await temporary.handle.close();
    await renameInPlace(root, temporary.path, sidecar, temporary.stats);
  } catch (error) {
    await temporary.handle.close().catch(() => undefined);
    await rm(temporary.path, { force: true });
    throw error;
  }
  await move(root, sourcePath, file, identity);
  return { file, sidecar };
}
