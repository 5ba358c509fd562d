import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateLogFile } from '../../src/logging/file-destination.ts';
import { EPHEMERAL_PORTS, runCli } from '../helpers/cli.ts';

/*
 * Issue 12, item 9: the state directory, the log file and what the sandbox creates under the SFT
 * root (which holds decrypted data) were world-readable. With umask 000 — the sandbox inherits it —
 * every permission not asked for explicitly would show, so these checks do not depend on the
 * runner's umask.
 */

let dir: string;
let previousUmask: number;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sandbox-modes-'));
  previousUmask = process.umask(0);
});
afterAll(async () => {
  process.umask(previousUmask);
  await rm(dir, { recursive: true, force: true });
});

const mode = async (entry: string) => (await stat(entry)).mode & 0o777;

/** Every directory below `root` (relative), the root excluded. */
async function directoriesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)));
}

describe('file modes of the sandbox', () => {
  it('state directory, logs and SFT root 0700, the log file 0600, the SFT directories the agent creates 0700', async () => {
    const stateDir = path.join(dir, 'fresh', 'state');
    const cli = runCli(['sandbox', '--no-demo', '--state-dir', stateDir], EPHEMERAL_PORTS);
    try {
      await cli.waitForOutput(/sandbox ready/, 60_000);
      expect(await mode(stateDir)).toBe(0o700);
      expect(await mode(path.join(stateDir, 'logs'))).toBe(0o700);
      expect(await mode(path.join(stateDir, 'logs', 'sandbox.log'))).toBe(0o600);
      expect(await mode(path.join(stateDir, 'certs'))).toBe(0o700);
      expect(await mode(path.join(stateDir, 's3'))).toBe(0o700); // object bodies, decrypted ones too
      const sftRoot = path.join(stateDir, 'sft-root');
      expect(await mode(sftRoot)).toBe(0o700);
      const created = await directoriesUnder(sftRoot);
      expect(created).toEqual(
        expect.arrayContaining(['data-egress', 'data-egress/sas', 'data-egress/ris-tmp']),
      );
      for (const directory of created) {
        expect([directory, await mode(path.join(sftRoot, directory))]).toEqual([directory, 0o700]);
      }
    } finally {
      cli.child.kill('SIGTERM');
      await cli.exited;
    }
  }, 90_000);

  it('narrows a log file left world-readable by an earlier run to 0600', async () => {
    const logs = path.join(dir, 'old', 'logs');
    await mkdir(logs, { recursive: true });
    const file = path.join(logs, 'sandbox.log');
    await writeFile(file, 'an earlier run\n', { mode: 0o644 });
    expect(await mode(file)).toBe(0o644);
    const destination = await privateLogFile(file);
    destination.write('this run\n');
    await new Promise<void>((resolve) => {
      destination.once('close', () => resolve());
      destination.end();
    });
    expect(await mode(file)).toBe(0o600);
  });
});
