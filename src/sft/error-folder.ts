import { copyFile, mkdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

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

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** A free name in `dir`: `name`, else `name.<timestamp>` (never overwrite an earlier failure). */
async function freeName(dir: string, name: string): Promise<string> {
  if (!(await exists(path.join(dir, name)))) return name;
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('.', '');
  for (let i = 0; ; i++) {
    const candidate = `${name}.${stamp}${i ? `-${i}` : ''}`;
    if (!(await exists(path.join(dir, candidate)))) return candidate;
  }
}

/** Moves across file systems too (the error folder may be another mount). */
async function move(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    await copyFile(from, to);
    await unlink(from);
  }
}

/**
 * Moves a failed file into `errorDir` and writes `<name>.error.json` beside it. The sidecar is
 * written first (temp + rename): if the move then fails, the file is still in its source
 * directory and the sidecar says what happened. Returns the new paths.
 */
export async function moveToErrorFolder(
  sourcePath: string,
  errorDir: string,
  record: ErrorRecord,
): Promise<{ file: string; sidecar: string }> {
  await mkdir(errorDir, { recursive: true });
  const name = await freeName(errorDir, path.basename(sourcePath));
  const file = path.join(errorDir, name);
  const sidecar = `${file}.error.json`;
  const temporary = path.join(errorDir, `.${name.slice(0, 100)}.${process.pid}.partial`);
  await writeFile(temporary, `${JSON.stringify(record, null, 2)}\n`);
  await rename(temporary, sidecar);
  await move(sourcePath, file);
  return { file, sidecar };
}
