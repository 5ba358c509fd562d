import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/** What {@link sftModes} found below an SFT root. */
export interface SftModes {
  /** Regular files seen (each must be 0600). */
  files: number;
  /** Directories seen below the root (each must be 0700); the root itself is the operator's. */
  directories: number;
  /** `relative/path: mode 644, expected 600`, one per entry with another mode. */
  problems: string[];
}

/**
 * Issue 12 item 9: what the egress service and the SFT agent create under sftRoot is theirs alone —
 * files 0600 (decrypted output among them), directories 0700. Walks the tree below `root` (without
 * following links) and reports every entry with another permission mode. The mode is checked
 * rather than access, since this machine runs as root, for whom permissions never stop a read.
 */
export async function sftModes(root: string): Promise<SftModes> {
  const found: SftModes = { files: 0, directories: 0, problems: [] };
  const walk = async (directory: string, relative: string): Promise<void> => {
    for (const entry of await readdir(directory, { withFileTypes: true })) {
      const full = path.join(directory, entry.name);
      const rel = relative ? `${relative}/${entry.name}` : entry.name;
      if (!entry.isDirectory() && !entry.isFile()) continue;
      const wanted = entry.isDirectory() ? 0o700 : 0o600;
      const mode = (await lstat(full)).mode & 0o777;
      if (mode !== wanted)
        found.problems.push(`${rel}: mode ${mode.toString(8)}, expected ${wanted.toString(8)}`);
      if (entry.isDirectory()) {
        found.directories += 1;
        await walk(full, rel);
      } else found.files += 1;
    }
  };
  await walk(root, '');
  return found;
}
