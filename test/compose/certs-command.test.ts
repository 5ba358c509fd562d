import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerCertsCommand } from '../../src/cli/commands/certs.ts';
import { UserError } from '../../src/cli/errors.ts';

const dirs: string[] = [];

async function runCerts(args: string[]): Promise<string> {
  const program = new Command('egress').exitOverride();
  registerCertsCommand(program);
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: string) => {
    lines.push(line);
  });
  try {
    await program.parseAsync(['node', 'egress', 'certs', ...args]);
  } finally {
    log.mockRestore();
  }
  return lines.join('\n');
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'egress-certs-'));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('egress certs', () => {
  it('writes a CA, a server certificate for the compose host names and a client certificate it signed', async () => {
    const dir = path.join(await tempDir(), 'certs');
    const output = await runCerts(['--dir', dir, '--dns', 'stub-dks', '--dns', 'stub-nifi']);
    expect(output).toContain(`certificates in ${dir}`);
    const ca = new X509Certificate(await readFile(path.join(dir, 'ca.pem')));
    const server = new X509Certificate(await readFile(path.join(dir, 'server.pem')));
    const client = new X509Certificate(await readFile(path.join(dir, 'client.pem')));
    for (const name of ['DNS:localhost', 'DNS:stub-dks', 'DNS:stub-nifi', 'IP Address:127.0.0.1']) {
      expect(server.subjectAltName).toContain(name);
    }
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(client.verify(ca.publicKey)).toBe(true);
  });

  it('reuses a set that already covers the names, and replaces one that does not', async () => {
    const dir = await tempDir();
    await runCerts(['--dir', dir, '--dns', 'stub-dks']);
    const first = await readFile(path.join(dir, 'server.pem'), 'utf8');
    await runCerts(['--dir', dir, '--dns', 'stub-dks']);
    expect(await readFile(path.join(dir, 'server.pem'), 'utf8')).toBe(first);
    await runCerts(['--dir', dir, '--dns', 'stub-dks', '--dns', 'stub-nifi']);
    const third = new X509Certificate(await readFile(path.join(dir, 'server.pem')));
    expect(third.subjectAltName).toContain('DNS:stub-nifi');
  });

  it.each([
    [['--dns', 'bad_name'], /--dns "bad_name" is not a valid DNS name/],
    [['--dns', '-leading'], /is not a valid DNS name/],
    [['--validity-days', '0'], /--validity-days must be an integer from 2 to 3650, got "0"/],
    [['--validity-days', 'soon'], /--validity-days must be an integer/],
  ])('refuses %j with a user error', async (args, message) => {
    const dir = await tempDir();
    const run = runCerts(['--dir', dir, ...args]);
    await expect(run).rejects.toBeInstanceOf(UserError);
    await expect(run).rejects.toThrow(message);
  });
});
