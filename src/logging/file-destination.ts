import { chmod, mkdir } from 'node:fs/promises';
import path from 'node:path';
import pino from 'pino';

/** Mode of log files: they name buckets, keys, paths and message ids, so only their owner reads them. */
export const LOG_FILE_MODE = 0o600;

/**
 * An asynchronous pino destination appending to `file`, which is created 0600 (and its directory,
 * when missing, 0700). A file left by an earlier run is narrowed to 0600 first, since the mode of
 * an existing file is not changed by opening it.
 */
export async function privateLogFile(file: string): Promise<ReturnType<typeof pino.destination>> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await chmod(file, LOG_FILE_MODE).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  return pino.destination({ dest: file, sync: false, mode: LOG_FILE_MODE });
}
