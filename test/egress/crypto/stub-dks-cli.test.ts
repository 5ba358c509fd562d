import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { registerStubDksCommand } from '../../../src/cli/commands/stub-dks.ts';
import { UserError } from '../../../src/cli/errors.ts';
import { DataKeyServiceClient } from '../../../src/egress/crypto/dks/dks-client.ts';
import { ensureCertificates, loadCertificates } from '../../../src/tls/certificates.ts';
import { waitFor } from '../../../src/util/wait.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/egress-stub-dks.ts', import.meta.url));
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

function run(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe('egress stub-dks', () => {
  it('serves mutual TLS with the sandbox certificates, prints its URL and stops on SIGTERM', async () => {
    const certsDir = await mkdtemp(path.join(os.tmpdir(), 'stub-dks-cli-'));
    dirs.push(certsDir);
    const { child, output, exited } = run(['--port', '0', '--certs-dir', certsDir]);
    const url = await waitFor(
      () => /dks stub listening on (https:\/\/127\.0\.0\.1:\d+)/.exec(output())?.[1],
      {
        timeoutMs: 15_000,
        description: `the stub's URL line (output so far: ${output()})`,
      },
    );
    const certs = await loadCertificates(await ensureCertificates(certsDir));
    const client = new DataKeyServiceClient({
      url,
      tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey },
      retry: { attempts: 1 },
    });
    try {
      const key = await client.generateDataKey();
      expect(
        (await client.decryptDataKey(key.keyEncryptionKeyId, key.encryptedDataKey)).equals(
          key.plaintextDataKey,
        ),
      ).toBe(true);
    } finally {
      await client.close();
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it.each([['abc'], ['70000'], ['-1']])('refuses --port %s as a user error', async (port) => {
    const program = new Command('egress').exitOverride();
    registerStubDksCommand(program);
    await expect(program.parseAsync(['node', 'egress', 'stub-dks', '--port', port])).rejects.toThrow(
      UserError,
    );
  });
});
