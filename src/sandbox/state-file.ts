import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The contract of `<state-dir>/sandbox.json` (docs/reference/contracts.md#sandboxjson); more fields may be added. */
export interface SandboxState {
  region: string;
  /** The endpoint every component uses and the credentials they use there. */
  aws: { endpoint: string; accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  table: string;
  queue: { url: string; arn: string };
  deadLetterQueue: { url: string; arn: string };
  dks?: { url: string };
  nifi?: { url: string; bucket: string };
  tls: { ca: string; cert: string; key: string };
  sftRoot: string;
  /** With `--persist`: where the state is kept across restarts. */
  persistence?: { dir: string };
  metrics?: { url: string };
  dashboard?: { url: string };
  /** The health report in LocalStack's `/_localstack/health` shape (every component, running or error). */
  health?: { url: string };
  buckets: string[];
  logs: string;
  pid: number;
  startedAt: string;
}

export const STATE_FILE_NAME = 'sandbox.json';

export function stateFilePath(stateDir: string): string {
  return path.join(stateDir, STATE_FILE_NAME);
}

/** Removes a sandbox.json left by an earlier run, so nobody reads a stale one. */
export async function removeStateFile(stateDir: string): Promise<void> {
  await rm(stateFilePath(stateDir), { force: true });
}

/**
 * Writes sandbox.json atomically: readers see the old file, none, or the whole new one. Only its
 * owner may read it: against a real endpoint it holds the credentials in use.
 */
export async function writeStateFile(stateDir: string, state: SandboxState): Promise<string> {
  const target = stateFilePath(stateDir);
  const temporary = `${target}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, target);
  return target;
}

/** Reads sandbox.json; undefined when there is none. Throws when it is not JSON. */
export async function readStateFile(stateDir: string): Promise<SandboxState | undefined> {
  let text: string;
  try {
    text = await readFile(stateFilePath(stateDir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as SandboxState;
  } catch (error) {
    throw new Error(`${stateFilePath(stateDir)} is not JSON: ${(error as Error).message}`, { cause: error });
  }
}
