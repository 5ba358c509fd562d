import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxState } from '../../src/sandbox/state-file.ts';
import { type CliProcess, cliOutcome, runCli } from '../helpers/cli.ts';
import { awsCli as aws, startSandbox } from '../helpers/sandbox.ts';

/*
 * Issue 18 item 3, as a data engineer meets it over two days: `egress sandbox --persist`, state
 * written with the AWS CLI (a client this project did not write), a restart, `egress reset`.
 */

let dir: string;
let stateDir: string;
const started: CliProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'persist-'));
  stateDir = path.join(dir, 'state');
});
afterAll(async () => {
  for (const cli of started) if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

async function start(args: string[]): Promise<{ cli: CliProcess; state: SandboxState }> {
  const sandbox = await startSandbox(stateDir, { args: ['--no-demo', ...args] });
  started.push(sandbox.cli);
  return sandbox;
}

async function stop(cli: CliProcess): Promise<void> {
  cli.child.kill('SIGTERM');
  expect(await cli.exited).toEqual({ code: 0, signal: null });
}

const reset = () => cliOutcome(['reset', '--state-dir', stateDir]);

const queueUrl = (state: SandboxState) => state.queue.url.replace(/data-egress$/, 'team-queue');

describe('egress sandbox --persist, then egress reset', () => {
  it('keeps buckets, objects, queues with their messages, table items and parameters across a restart; the default is a fresh start; reset empties the directory but not while a sandbox runs', async () => {
    const report = path.join(dir, 'report.csv');
    await writeFile(report, 'id,value\n1,kept across restarts\n');

    // Day 1: start with --persist and leave some state behind.
    const day1 = await start(['--persist']);
    expect(day1.cli.output()).toContain(
      `persisting state in ${path.join(stateDir, 'data')} (nothing saved yet: a first start)`,
    );
    expect(day1.state.persistence).toEqual({ dir: path.join(stateDir, 'data') });
    await aws(day1.state, ['s3', 'mb', 's3://team-bucket']);
    await aws(day1.state, ['s3', 'cp', report, 's3://team-bucket/reports/report.csv']);
    await aws(day1.state, ['sqs', 'create-queue', '--queue-name', 'team-queue']);
    await aws(day1.state, [
      'sqs',
      'send-message',
      '--queue-url',
      queueUrl(day1.state),
      '--message-body',
      'remember me',
    ]);
    await aws(day1.state, [
      'ssm',
      'put-parameter',
      '--name',
      '/team/key',
      '--value',
      'k1',
      '--type',
      'SecureString',
    ]);
    await aws(day1.state, [
      'dynamodb',
      'put-item',
      '--table-name',
      'data-egress',
      '--item',
      '{"source_prefix":{"S":"team/"},"pipeline_name":{"S":"TEAM"},"transfer_type":{"S":"S3"},"source_bucket":{"S":"team-bucket"},"destination_bucket":{"S":"destination"}}',
    ]);
    await stop(day1.cli);
    expect(await readdir(path.join(stateDir, 'data'))).toEqual(
      expect.arrayContaining(['edge.json', 's3', 'dynamodb']),
    );

    // Day 2: everything is back, queue URL and all.
    const day2 = await start(['--persist']);
    expect(day2.cli.output()).toMatch(
      /restored the state saved \S+ from \S+data: \d+ buckets, 1 objects, 3 queues with 1 messages, 1 parameters, \d+ notification configurations/,
    );
    const tmp = path.join(dir, 'back.csv');
    await aws(day2.state, ['s3', 'cp', 's3://team-bucket/reports/report.csv', tmp]);
    expect(await readFile(tmp, 'utf8')).toBe(await readFile(report, 'utf8'));
    const message = JSON.parse(
      await aws(day2.state, ['sqs', 'receive-message', '--queue-url', queueUrl(day2.state)]),
    );
    expect(message.Messages[0].Body).toBe('remember me');
    const parameter = JSON.parse(
      await aws(day2.state, ['ssm', 'get-parameter', '--name', '/team/key', '--with-decryption']),
    );
    expect(parameter.Parameter.Value).toBe('k1');
    const item = JSON.parse(
      await aws(day2.state, [
        'dynamodb',
        'get-item',
        '--table-name',
        'data-egress',
        '--key',
        '{"source_prefix":{"S":"team/"},"pipeline_name":{"S":"TEAM"}}',
      ]),
    );
    expect(item.Item.source_bucket).toEqual({ S: 'team-bucket' });

    // reset refuses while the sandbox runs, naming it, and removes nothing.
    const refused = await reset();
    expect(refused.code).toBe(2);
    expect(refused.output).toContain(`a sandbox with pid ${day2.cli.child.pid}`);
    expect(refused.output).toContain('cannot reset it');
    expect(existsSync(path.join(stateDir, 'data', 'edge.json'))).toBe(true);

    // Killed rather than stopped: DynamoDB keeps what was written (on disk), the in-memory state
    // goes back to the last graceful stop.
    await aws(day2.state, ['s3', 'cp', report, 's3://team-bucket/after-the-last-stop.csv']);
    await aws(day2.state, [
      'dynamodb',
      'put-item',
      '--table-name',
      'data-egress',
      '--item',
      '{"source_prefix":{"S":"killed/"},"pipeline_name":{"S":"KILLED"},"transfer_type":{"S":"S3"},"source_bucket":{"S":"team-bucket"},"destination_bucket":{"S":"destination"}}',
    ]);
    day2.cli.child.kill('SIGKILL');
    await day2.cli.exited;
    const day3 = await start(['--persist']);
    const listing = await aws(day3.state, ['s3api', 'list-objects-v2', '--bucket', 'team-bucket']);
    expect(listing).toContain('reports/report.csv');
    expect(listing).not.toContain('after-the-last-stop.csv');
    const killedItem = await aws(day3.state, [
      'dynamodb',
      'get-item',
      '--table-name',
      'data-egress',
      '--key',
      '{"source_prefix":{"S":"killed/"},"pipeline_name":{"S":"KILLED"}}',
    ]);
    expect(JSON.parse(killedItem).Item.pipeline_name).toEqual({ S: 'KILLED' });
    await stop(day3.cli);

    // Without --persist: a fresh start, and the persisted state is left for the next --persist.
    const fresh = await start([]);
    await expect(aws(fresh.state, ['s3api', 'head-bucket', '--bucket', 'team-bucket'])).rejects.toThrow(
      /404|Not Found/,
    );
    await stop(fresh.cli);
    expect(existsSync(path.join(stateDir, 'data', 'edge.json'))).toBe(true);

    // reset empties it; the next --persist start is a first start again.
    await writeFile(path.join(stateDir, 'notes.txt'), 'mine');
    const done = await reset();
    expect(done.code).toBe(0);
    expect(done.output).toMatch(
      /reset \S+state: removed certs \(.*\), data \(.*\), logs \(.*\), sft-root \(.*\)/,
    );
    expect(done.output).toContain("left alone (not the sandbox's): notes.txt");
    expect((await readdir(stateDir)).sort()).toEqual(['notes.txt']);
    const again = await start(['--persist']);
    expect(again.cli.output()).toContain('(nothing saved yet: a first start)');
    await stop(again.cli);
  }, 240_000);

  it('reset of a directory that does not exist has nothing to do', async () => {
    const cli = runCli(['reset', '--state-dir', path.join(dir, 'never')]);
    expect((await cli.exited).code).toBe(0);
    expect(cli.output()).toMatch(/nothing to reset in \S+never/);
  });
});
