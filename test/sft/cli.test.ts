import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerSftAgentCommand } from '../../src/cli/commands/sft-agent.ts';
import { registerStubNifiCommand } from '../../src/cli/commands/stub-nifi.ts';
import { UserError } from '../../src/cli/errors.ts';
import { SFT_TEMPLATE_DIR } from '../../src/sft/sandbox-config.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sft-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function program(): Command {
  const root = new Command('egress').exitOverride();
  registerSftAgentCommand(root);
  registerStubNifiCommand(root);
  return root;
}

async function run(...args: string[]): Promise<unknown> {
  return program()
    .parseAsync(['node', 'egress', ...args])
    .then(
      () => undefined,
      (error: unknown) => error,
    );
}

describe('egress sft-agent: a bad configuration is a user error (exit 2) naming file, route and field', () => {
  it('names the route and field of an invalid route', async () => {
    const config = path.join(dir, 'bad.yml');
    await writeFile(
      config,
      'sender:\n  routes:\n    - name: no-folder\n      source: /a/\n      actions: [{ name: writeFile, properties: { destination: /b/ } }]\n',
    );
    const error = await run('sft-agent', '--config', config, '--sft-root', dir);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(2);
    expect((error as Error).message).toMatch(
      /bad\.yml:3: route "no-folder" \(sender\.routes\[0\]\): errorFolder: is required/,
    );
  });

  it('names a template variable that is not given', async () => {
    const error = await run(
      'sft-agent',
      '--config',
      path.join(SFT_TEMPLATE_DIR, 'agent-config.yml.tpl'),
      '--var',
      'apiKey=k',
    );
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/\$\{aws_destination_url\} is not defined/);
  });

  it('refuses a malformed --var', async () => {
    const error = await run('sft-agent', '--config', path.join(dir, 'x.yml'), '--var', 'novalue');
    expect((error as Error).message).toMatch(/--var expects name=value/);
  });

  it('needs --config or --nifi-url', async () => {
    expect(((await run('sft-agent')) as Error).message).toMatch(/give --config/);
  });

  it('reports an unreadable PEM file', async () => {
    const config = path.join(dir, 'ok.yml');
    await writeFile(
      config,
      'sender:\n  routes:\n    - name: r\n      source: /a/\n      errorFolder: /e/\n      actions: [{ name: writeFile, properties: { destination: /b/ } }]\n',
    );
    const error = await run('sft-agent', '--config', config, '--ca', path.join(dir, 'missing.pem'));
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/--ca .*missing\.pem/);
  });
});

describe('egress stub-nifi options', () => {
  it('refuses a bad port', async () => {
    const error = await run('stub-nifi', '--port', 'http');
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/--port must be an integer/);
  });
});
