import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Edge, startEdge } from '../../src/edge/index.ts';
import { renderShellExports, sandboxEnvironment, shellQuote } from '../../src/sandbox/shell-exports.ts';
import type { SandboxState } from '../../src/sandbox/state-file.ts';
import { runCli } from '../helpers/cli.ts';
import { run } from './support.ts';

/* `egress env`: shell exports for the running sandbox, read from its sandbox.json. */

let dir: string;
let edge: Edge;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'egress-env-'));
  edge = await startEdge({ port: 0 });
});
afterAll(async () => {
  await edge?.stop();
  await rm(dir, { recursive: true, force: true });
});

function stateFor(endpoint: string): SandboxState {
  return {
    region: 'eu-west-2',
    aws: { endpoint, accessKeyId: 'test', secretAccessKey: "se cret'with$quote" },
    table: 'data-egress',
    queue: { url: `http://sqs.eu-west-2.localhost:1/000000000000/data-egress`, arn: 'arn:q' },
    deadLetterQueue: { url: `http://sqs.eu-west-2.localhost:1/000000000000/data-egress-dlq`, arn: 'arn:d' },
    tls: { ca: '/ca', cert: '/cert', key: '/key' },
    sftRoot: '/sft',
    buckets: [],
    logs: '/logs',
    pid: 1,
    startedAt: new Date().toISOString(),
  };
}

async function writeState(stateDir: string, state: SandboxState): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  await writeFile(path.join(stateDir, 'sandbox.json'), JSON.stringify(state));
}

/** Runs `egress env` the way the README does, then prints the variables the shell now has. */
async function evalEnv(args: string[], env: NodeJS.ProcessEnv = {}) {
  const bin = path.resolve('bin/egress.js');
  const script = `eval "$(node ${shellQuote(bin)} env ${args.map(shellQuote).join(' ')})"; for v in AWS_ENDPOINT_URL AWS_REGION AWS_DEFAULT_REGION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY EGRESS_QUEUE_URL EGRESS_DEAD_LETTER_QUEUE_URL EGRESS_TABLE EGRESS_SANDBOX_JSON AWS_SESSION_TOKEN; do printf '%s=%s\\n' "$v" "\${!v-<unset>}"; done`;
  return run('bash', ['-c', script], {
    env: { ...process.env, AWS_SESSION_TOKEN: 'a real session', ...env },
  });
}

describe('egress env', () => {
  it('prints exports that a shell evaluates to the sandbox’s values, quoting anything odd', async () => {
    const stateDir = path.join(dir, "it's a dir");
    await writeState(stateDir, stateFor(edge.endpoint));
    const result = await evalEnv(['--state-dir', stateDir]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual([
      `AWS_ENDPOINT_URL=${edge.endpoint}`,
      'AWS_REGION=eu-west-2',
      'AWS_DEFAULT_REGION=eu-west-2',
      'AWS_ACCESS_KEY_ID=test',
      "AWS_SECRET_ACCESS_KEY=se cret'with$quote",
      'EGRESS_QUEUE_URL=http://sqs.eu-west-2.localhost:1/000000000000/data-egress',
      'EGRESS_DEAD_LETTER_QUEUE_URL=http://sqs.eu-west-2.localhost:1/000000000000/data-egress-dlq',
      'EGRESS_TABLE=data-egress',
      `EGRESS_SANDBOX_JSON=${path.join(stateDir, 'sandbox.json')}`,
      'AWS_SESSION_TOKEN=<unset>',
    ]);
  });

  it('reads the state directory from EGRESS_STATE_DIR when no --state-dir is given', async () => {
    const stateDir = path.join(dir, 'from-env');
    await writeState(stateDir, stateFor(edge.endpoint));
    const result = await evalEnv([], { EGRESS_STATE_DIR: stateDir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`EGRESS_SANDBOX_JSON=${path.join(stateDir, 'sandbox.json')}`);
  });

  it('exits 2 with a clear message when the state directory has no sandbox.json', async () => {
    const stateDir = path.join(dir, 'empty');
    await mkdir(stateDir, { recursive: true });
    const cli = runCli(['env', '--state-dir', stateDir]);
    const { code } = await cli.exited;
    expect(code).toBe(2);
    expect(cli.output()).toContain(`no sandbox runs in ${stateDir}`);
    expect(cli.output()).toContain('npx egress sandbox --no-demo');
    expect(cli.output()).not.toContain('export ');
  });

  it('exits 2 when sandbox.json is stale (nothing answers at its endpoint)', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const stateDir = path.join(dir, 'stale');
    await writeState(stateDir, stateFor(`http://127.0.0.1:${port}`));
    const cli = runCli(['env', '--state-dir', stateDir]);
    const { code } = await cli.exited;
    expect(code).toBe(2);
    expect(cli.output()).toContain(`nothing answers at http://127.0.0.1:${port}`);
    expect(cli.output()).not.toContain('export ');
  });

  it.each([
    ['plain', 'plain'],
    ['with space', 'with space'],
    ["it's", "it's"],
    ['$HOME `date` $(id) \\n', '$HOME `date` $(id) \\n'],
    ['line\nbreak', 'line\nbreak'],
    ["''", "''"],
  ])('quotes %j so that the shell reads it back unchanged', async (value, expected) => {
    const result = await run('bash', ['-c', `${renderShellExports([['X', value]])}printf '%s' "$X"`]);
    expect(result.stdout).toBe(expected);
  });

  it('exports both region variables (CLI v1 reads only AWS_DEFAULT_REGION)', () => {
    const names = sandboxEnvironment(stateFor('http://x'), '/s/sandbox.json').map(([name]) => name);
    expect(names).toEqual(expect.arrayContaining(['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ENDPOINT_URL']));
  });
});
