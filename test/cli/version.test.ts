import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };

describe('egress --version', () => {
  it('prints the package version through npx, as a user types it', async () => {
    const { stdout, stderr } = await promisify(execFile)('npx', ['--no-install', 'egress', '--version'], {
      cwd: ROOT,
      env: { ...process.env, npm_config_update_notifier: 'false' },
    });
    expect(stdout).toBe(`${version}\n`);
    expect(stderr).toBe('');
  }, 60_000);

  it.each([['-V'], ['--version']])('egress %s prints it and exits 0', async (...args) => {
    const cli = runCli(args);
    const { code } = await cli.exited;
    expect(cli.output()).toBe(`${version}\n`);
    expect(code).toBe(0);
  });

  it('lists the option in the help', async () => {
    const cli = runCli(['--help']);
    await cli.exited;
    expect(cli.output()).toMatch(/-V, --version +print the version of egress-sandbox/);
  });
});
