/**
 * The repository's own files, as git sees them: tracked files plus new ones that are not ignored,
 * so local state (node_modules, .sandbox, reports) never counts as part of the tree.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** The repository root (this file lives in test/scripts/support/). */
export const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');

/** Paths relative to {@link REPO_ROOT}, `/`-separated; deleted-but-tracked files are left out. */
export function repoFiles(): string[] {
  const listing = execFileSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--deduplicate'],
    { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const deleted = new Set(
    execFileSync('git', ['ls-files', '-z', '--deleted'], { cwd: REPO_ROOT, encoding: 'utf8' })
      .split('\0')
      .filter(Boolean),
  );
  return listing.split('\0').filter((file) => file && !deleted.has(file));
}
