import path from 'node:path';
import {
  ignoredNameReason,
  MAX_NAME_BYTES,
  unsendableNameReason,
  utf8Length,
} from '../../sft/volume/names.ts';
import { UnsafeDestinationError } from '../errors.ts';

/** A file location under `sftRoot`, both paths absolute. */
export interface SftLocation {
  /** The directory the file goes in (`<sftRoot>/<destination_prefix>`). */
  readonly directory: string;
  /** The final file path. */
  readonly file: string;
}

/**
 * Refuses a single SFT file name that is empty, `.`/`..`, contains `/` or NUL, is longer than a file
 * system allows (255 bytes of UTF-8), or is a name the SFT agent ignores (hidden, `*.tmp`,
 * `*.partial`: see `ignoredNameReason`) or cannot send (control characters: `unsendableNameReason`)
 * — written, it would count as sent but never leave. Names
 * come from S3 keys and routing items, so any of these is possible.
 */
export function assertSafeFileName(fileName: string, what: string): void {
  if (fileName === '' || fileName === '.' || fileName === '..') {
    throw new UnsafeDestinationError(`${what} ${JSON.stringify(fileName)} is not a usable file name`);
  }
  if (fileName.includes('/') || fileName.includes('\0')) {
    throw new UnsafeDestinationError(`${what} ${JSON.stringify(fileName)} contains '/' or NUL`);
  }
  const bytes = utf8Length(fileName);
  if (bytes > MAX_NAME_BYTES) {
    throw new UnsafeDestinationError(
      `${what} name too long: ${JSON.stringify(fileName)} is ${bytes} bytes, the limit is ${MAX_NAME_BYTES}`,
    );
  }
  const ignored = ignoredNameReason(fileName) ?? unsendableNameReason(fileName);
  if (ignored) {
    throw new UnsafeDestinationError(
      `${what} ${JSON.stringify(fileName)} is refused: the SFT agent never sends it: ${ignored}`,
    );
  }
}

/**
 * Maps a rule's SFT directory and a file name to a path under `sftRoot` by a plain join
 * (docs/reference/contracts.md#sft-path-mapping): `/data-egress/sas/` → `<sftRoot>/data-egress/sas/`, nothing stripped.
 *
 * Anything that could leave `sftRoot` is refused rather than clamped: a `..` segment anywhere in the
 * directory (even one that would stay inside after normalisation — the rule is wrong either way),
 * NUL bytes, and unsafe file names. The I/O side additionally checks the real path of the created
 * directory, which catches symbolic links.
 */
export function resolveSftLocation(sftRoot: string, directory: string, fileName: string): SftLocation {
  if (directory.includes('\0')) {
    throw new UnsafeDestinationError(`SFT directory ${JSON.stringify(directory)} contains NUL`);
  }
  if (directory.split('/').includes('..')) {
    throw new UnsafeDestinationError(`SFT directory ${JSON.stringify(directory)} contains a '..' segment`);
  }
  assertSafeFileName(fileName, 'SFT file name');
  const root = path.resolve(sftRoot);
  // path.resolve('.' + …) is a plain join that also drops trailing slashes; '..' was refused above.
  const resolvedDirectory = path.resolve(root, `./${directory}`);
  assertInside(root, resolvedDirectory, directory);
  const file = path.join(resolvedDirectory, fileName);
  assertInside(root, file, `${directory}/${fileName}`);
  return { directory: resolvedDirectory, file };
}

/** Throws unless `candidate` is `root` itself or below it. */
export function assertInside(root: string, candidate: string, shownAs: string): void {
  const relative = path.relative(root, candidate);
  if (relative === '') return;
  if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
    throw new UnsafeDestinationError(`${JSON.stringify(shownAs)} would leave the SFT root`);
  }
}
