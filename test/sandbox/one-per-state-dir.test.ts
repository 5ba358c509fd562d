import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/util/wait.ts';
import { type CliProcess, EPHEMERAL_PORTS, runCli } from '../helpers/cli.ts';

/*
 * Issue 18 item 1, as a user meets it: two `egress sandbox` processes on one state directory.
 */

let dir: string;
const started: CliProcess[] = [];
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'one-sandbox-'));
});
afterAll(async () => {
  for (const cli of started) if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

function sandbox(stateDir: string): CliProcess {
  const cli = runCli(['sandbox', '--no-demo', '--state-dir', stateDir], EPHEMERAL_PORTS);
  started.push(cli);
  return cli;
}

describe('one sandbox per state directory', () => {
  it('a second sandbox refuses naming the first (pid, endpoint) and exits 2 without touching its sandbox.json; after a SIGKILL the lock is taken over; a graceful stop frees it', async () => {
    const stateDir = path.join(dir, 'state');
    const lockFile = path.join(stateDir, 'sandbox.lock');
    const stateFile = path.join(stateDir, 'sandbox.json');

    const first = sandbox(stateDir);
    await first.waitForOutput(/sandbox ready/, 60_000);
    const state = JSON.parse(await readFile(stateFile, 'utf8'));
    const lock = JSON.parse(await readFile(lockFile, 'utf8'));
    expect(lock).toMatchObject({ purpose: 'sandbox', pid: first.child.pid, endpoint: state.aws.endpoint });

    const second = sandbox(stateDir);
    const refused = await second.exited;
    expect(refused.code).toBe(2);
    expect(second.output()).toContain(`pid ${first.child.pid}`);
    expect(second.output()).toContain(`AWS endpoint ${state.aws.endpoint}`);
    expect(second.output()).toContain(`kill -TERM ${first.child.pid}`);
    expect(second.output()).not.toMatch(/\n\s+at /);
    // The first one's files are untouched and it still serves.
    expect(JSON.parse(await readFile(stateFile, 'utf8'))).toEqual(state);
    expect((await fetch(new URL('/_edge/health', state.aws.endpoint))).status).toBe(200);

    first.child.kill('SIGKILL');
    await first.exited;
    expect(existsSync(lockFile)).toBe(true); // nobody could remove it

    const third = sandbox(stateDir);
    await third.waitForOutput(/sandbox ready/, 60_000);
    expect(third.output()).toMatch(
      new RegExp(
        `took over the state directory's lock from pid ${first.child.pid} \\(process ${first.child.pid} is gone`,
      ),
    );
    expect(JSON.parse(await readFile(lockFile, 'utf8')).pid).toBe(third.child.pid);

    third.child.kill('SIGTERM');
    expect(await third.exited).toEqual({ code: 0, signal: null });
    await waitFor(() => !existsSync(lockFile), { description: 'the lock to be released', timeoutMs: 5_000 });
    expect(existsSync(stateFile)).toBe(false);
  }, 180_000);
});
