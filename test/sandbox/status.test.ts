import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxState } from '../../src/sandbox/state-file.ts';
import { type CliProcess, cliOutcome, runCli } from '../helpers/cli.ts';
import { awsCli, startSandbox } from '../helpers/sandbox.ts';

/*
 * Issue 18 item 5, as a user meets it: `curl …/_localstack/health` (LocalStack's shape) and
 * `egress status`, with its exit codes: 0 all running, 1 something in error, 2 no sandbox.
 */

const run = promisify(execFile);
let dir: string;
let stateDir: string;
let sandbox: CliProcess;
let state: SandboxState;

const COMPONENTS = [
  's3',
  'sqs',
  'dynamodb',
  'ssm',
  'sts',
  'dks-stub',
  'stub-nifi',
  'sft-agent',
  'egress-service',
  'dashboard',
];

const status = (args: string[] = []) => cliOutcome(['status', '--state-dir', stateDir, ...args]);

const aws = (args: string[]) => awsCli(state, args);

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'status-'));
  stateDir = path.join(dir, 'state');
  ({ cli: sandbox, state } = await startSandbox(stateDir, { args: ['--no-demo'] }));
}, 90_000);
afterAll(async () => {
  if (sandbox?.child.exitCode === null) {
    sandbox.child.kill('SIGKILL');
    await sandbox.exited;
  }
  await rm(dir, { recursive: true, force: true });
});

describe('/_localstack/health on the edge', () => {
  it('answers curl in LocalStack’s shape, every AWS service and stub running; HEAD answers 200', async () => {
    expect(state.health?.url).toBe(`${state.aws.endpoint}/_localstack/health`);
    const { stdout } = await run('curl', ['-sS', '--fail', state.health!.url]);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({
      edition: 'egress-sandbox',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
    });
    expect(Object.keys(report.services)).toEqual(COMPONENTS);
    expect(Object.values(report.services).every((value) => value === 'running')).toBe(true);
    expect(report.details['dks-stub'].url).toBe(state.dks!.url);
    expect(report.details['stub-nifi'].url).toBe(state.nifi!.url);
    expect(report.details['egress-service'].url).toBe(state.metrics!.url);
    expect(report.details.dashboard.url).toBe(state.dashboard!.url);
    const { stdout: head } = await run('curl', ['-sS', '-I', state.health!.url]);
    expect(head).toMatch(/^HTTP\/1\.1 200 OK/);
  });
});

describe('egress status', () => {
  it('prints every component with its port and exits 0 when all run', async () => {
    const { code, output } = await status();
    expect(code).toBe(0);
    expect(output).toContain(`a sandbox with pid ${sandbox.child.pid}`);
    expect(output).toMatch(new RegExp(`\\ndks-stub\\s+running\\s+${state.dks!.url.replace(/[.]/g, '\\.')}`));
    expect(output).toMatch(new RegExp(`\\ns3\\s+running\\s+${state.aws.endpoint.replace(/[.]/g, '\\.')}`));
    expect(output).toMatch(/\negress-service\s+running\s+http:\/\/127\.0\.0\.1:\d+\/metrics/);
    expect(output).toContain('all 10 components running');
  });

  it('exits 1 naming the component in error and why, and 0 again once it is repaired', async () => {
    // The stub NiFi listens, but without its bucket nothing it receives can be stored.
    await aws(['s3', 'rb', `s3://${state.nifi!.bucket}`]);
    const broken = await status();
    expect(broken.code).toBe(1);
    expect(broken.output).toMatch(
      /\nstub-nifi\s+error\s+https:\/\/127\.0\.0\.1:\d+\s+its bucket stub-hdfs-local does not exist: received files cannot be stored/,
    );
    expect(broken.output).toContain('1 of 10 not running: stub-nifi');
    const json = await status(['--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.output).services['stub-nifi']).toBe('error');

    await aws(['s3', 'mb', `s3://${state.nifi!.bucket}`]);
    expect((await status()).code).toBe(0);
  });

  it('exits 2 when no sandbox runs: a directory never used, and one whose sandbox was killed', async () => {
    const never = runCli(['status', '--state-dir', path.join(dir, 'never')]);
    expect((await never.exited).code).toBe(2);
    expect(never.output()).toMatch(
      /no sandbox is running in \S+never; start one with: npx egress sandbox --state-dir/,
    );

    sandbox.child.kill('SIGKILL');
    await sandbox.exited;
    const killed = await status();
    expect(killed.code).toBe(2);
    expect(killed.output).toContain(
      `the one that did (pid ${sandbox.child.pid}) stopped without cleaning up (process ${sandbox.child.pid} is gone)`,
    );
  });
});
