import path from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import type { ReadLockConfig } from './config/types.ts';
import { ensureDirectoryBelowRoot } from './volume/directories.ts';
import { isIgnoredName } from './volume/names.ts';

export interface SourceWatcherOptions {
  /** The SFT root: `dir` and every directory between them must be real directories, not links. */
  root: string;
  /** Absolute directory below `root` to watch (created, mode 0700, if missing). Only its direct entries are considered. */
  dir: string;
  readLock: ReadLockConfig;
  /** A file appeared or changed and its size has been stable for `readLock.minAgeMs`. */
  onFile: (file: string) => void;
  /** A file disappeared. */
  onRemove: (file: string) => void;
  onError: (error: Error) => void;
}

export interface SourceWatcher {
  readonly dir: string;
  close(): Promise<void>;
}

/**
 * Watches one source directory with chokidar. Files already there are reported too
 * (`ignoreInitial: false`), so a restarted agent picks up what it left. `awaitWriteFinish` holds
 * events back until a file's size has been stable for `minAge`; hidden and `*.partial`/`*.tmp`
 * names (writers' temporary files, renamed into place when complete) are ignored, and so are
 * subdirectories. Symbolic links are not followed; a directory reached through one is refused
 * (`SftPathRefusedError`) before anything is watched.
 */
export async function watchSourceDirectory(options: SourceWatcherOptions): Promise<SourceWatcher> {
  const dir = path.resolve(options.dir);
  await ensureDirectoryBelowRoot(options.root, dir, { create: true });
  const watcher: FSWatcher = watch(dir, {
    depth: 0,
    followSymlinks: false,
    ignoreInitial: false,
    persistent: true,
    awaitWriteFinish: {
      stabilityThreshold: Math.max(options.readLock.minAgeMs, 50),
      pollInterval: Math.max(
        Math.min(options.readLock.checkIntervalMs, options.readLock.minAgeMs || 100),
        25,
      ),
    },
    ignored: (entry, stats) =>
      entry !== dir && (isIgnoredName(path.basename(entry)) || stats?.isDirectory() === true),
  });
  watcher.on('add', options.onFile);
  watcher.on('change', options.onFile);
  watcher.on('unlink', options.onRemove);
  watcher.on('error', (error) => options.onError(error instanceof Error ? error : new Error(String(error))));
  await new Promise<void>((resolve) => watcher.once('ready', resolve));
  return {
    dir,
    close: () => watcher.close(),
  };
}
