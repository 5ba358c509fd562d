import { lstat, mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { SftPathRefusedError } from './errors.ts';
import { PRIVATE_DIRECTORY_MODE } from './modes.ts';

/** Options for {@link ensureDirectoryBelowRoot}. */
export interface EnsureDirectoryOptions {
  /** Create missing directories (mode 0700), one level at a time. */
  create: boolean;
}

/** The root's real path: the root itself is the operator's choice and may be reached through links. */
export function realRoot(root: string): Promise<string> {
  return realpath(root);
}

function notDirectory(entry: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOTDIR: not a directory, '${entry}'`), { code: 'ENOTDIR', path: entry });
}

async function describeLink(link: string, rootReal: string, shownAs: string): Promise<SftPathRefusedError> {
  const target = await realpath(link).catch(() => undefined);
  const relative = target === undefined ? undefined : path.relative(rootReal, target);
  const leaves = relative === undefined || relative.startsWith('..') || path.isAbsolute(relative);
  return new SftPathRefusedError(
    leaves
      ? `"${shownAs}" would leave the SFT root through the symbolic link ${link}`
      : `"${shownAs}" goes through the symbolic link ${link}; links below the SFT root are refused`,
    link,
    'symbolic-link',
  );
}

/**
 * Checks (and with `create`, makes) `directory`, which must lie lexically below `root`, one level at
 * a time from the root's real path: every level must be a real directory. A symbolic link at ANY
 * level below the root is refused ({@link SftPathRefusedError}), wherever it points, before anything
 * is created beyond it. Returns the directory's absolute path through the real root, which is its
 * real path.
 *
 * This is a check at one moment: callers repeat it at each operation (open, rename, unlink) and
 * compare file identities, because a writer can swap a directory for a link at any time.
 */
export async function ensureDirectoryBelowRoot(
  root: string,
  directory: string,
  options: EnsureDirectoryOptions,
  shownAs: string = directory,
): Promise<string> {
  const lexicalRoot = path.resolve(root);
  const relative = path.relative(lexicalRoot, path.resolve(directory));
  if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
    throw new SftPathRefusedError(`"${shownAs}" would leave the SFT root`, directory, 'outside-root');
  }
  const rootReal = await realRoot(lexicalRoot);
  let current = rootReal;
  for (const segment of relative.split(path.sep).filter(Boolean)) {
    const next = path.join(current, segment);
    let entry = await lstat(next).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' && options.create) return undefined;
      throw error;
    });
    if (!entry) {
      await mkdir(next, { mode: PRIVATE_DIRECTORY_MODE }).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
      entry = await lstat(next);
    }
    if (entry.isSymbolicLink()) throw await describeLink(next, rootReal, shownAs);
    if (!entry.isDirectory()) throw notDirectory(next);
    current = next;
  }
  return current;
}
