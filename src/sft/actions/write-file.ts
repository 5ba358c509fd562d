import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

/**
 * Copies `sourcePath` to `<destinationDir>/<name>` through a hidden temporary name and an atomic
 * rename, so a route watching the destination (the RIS → ris-tmp → NiFi chain) never sees half a
 * file, and the temporary name is one every watcher ignores. An existing file of that name is
 * replaced, as the original's writeFile overwrote.
 */
export async function writeFileAction(
  sourcePath: string,
  destinationDir: string,
  name: string,
  signal?: AbortSignal,
): Promise<string> {
  await mkdir(destinationDir, { recursive: true });
  const target = path.join(destinationDir, name);
  const temporary = path.join(
    destinationDir,
    `.${name.slice(0, 100)}.${randomBytes(4).toString('hex')}.partial`,
  );
  try {
    await pipeline(
      createReadStream(sourcePath),
      createWriteStream(temporary, { flags: 'wx' }),
      signal ? { signal } : {},
    );
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return target;
}
