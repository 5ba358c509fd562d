import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  describeHolder,
  holderLiveness,
  type LockHolder,
  type ProcessProbe,
  parseLockHolder,
  startTokenFromProcStat,
} from '../../src/sandbox/lock-holder.ts';
import {
  LOCK_FILE_NAME,
  liveHolder,
  localProcesses,
  StateDirectoryLockedError,
  StateLock,
} from '../../src/sandbox/state-lock.ts';

const HOLDER: LockHolder = {
  purpose: 'sandbox',
  pid: 4242,
  startedAt: '2026-12-04T10:00:00.000Z',
  hostname: 'laptop',
  processStart: '1000',
  endpoint: 'http://127.0.0.1:4566',
};

function probe(processes: Record<number, string | undefined>, hostname = 'laptop'): ProcessProbe {
  return {
    hostname,
    exists: (pid) => pid in processes,
    startToken: (pid) => processes[pid],
  };
}

describe('holderLiveness', () => {
  it.each([
    ['the pid runs and started when the lock was taken', HOLDER, probe({ 4242: '1000' }), true, /is running/],
    ['the pid is gone', HOLDER, probe({}), false, /4242 is gone/],
    ['the pid was reused by a later process', HOLDER, probe({ 4242: '2000' }), false, /started later/],
    [
      'no start time on this platform: the pid decides',
      HOLDER,
      probe({ 4242: undefined }),
      true,
      /is running/,
    ],
    [
      'the lock has no start time (written elsewhere): the pid decides',
      { ...HOLDER, processStart: undefined },
      probe({ 4242: '2000' }),
      true,
      /is running/,
    ],
    ['held from another host: cannot tell, so alive', HOLDER, probe({}, 'other-host'), true, /another host/],
  ])('%s', (_case, holder, processes, alive, why) => {
    const verdict = holderLiveness(holder, processes);
    expect(verdict.alive).toBe(alive);
    expect(verdict.why).toMatch(why);
  });
});

describe('parseLockHolder', () => {
  it.each([
    ['a full record', JSON.stringify(HOLDER), HOLDER],
    ['a reset', JSON.stringify({ ...HOLDER, purpose: 'reset' }), { ...HOLDER, purpose: 'reset' }],
    ['an empty file', '', undefined],
    ['not JSON', 'pid=12', undefined],
    ['no pid', JSON.stringify({ startedAt: 'x', hostname: 'h' }), undefined],
    ['a pid of 0', JSON.stringify({ ...HOLDER, pid: 0 }), undefined],
    ['a string pid', JSON.stringify({ ...HOLDER, pid: '12' }), undefined],
    ['an array', '[1]', undefined],
  ])('%s', (_case, text, expected) => {
    const parsed = parseLockHolder(text);
    if (expected === undefined) expect(parsed).toBeUndefined();
    else expect(parsed).toEqual(expected);
  });
});

describe('startTokenFromProcStat', () => {
  it.each([
    [
      'a plain command',
      '123 (node) S 1 123 123 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 987654 1000 10',
      '987654',
    ],
    [
      'a command with spaces and parentheses',
      '123 (my (odd) cmd) S 1 123 123 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 55 1000 10',
      '55',
    ],
    ['a truncated line', '123 (node) S 1 2', undefined],
    ['no command', 'garbage', undefined],
  ])('%s', (_case, stat, token) => {
    expect(startTokenFromProcStat(stat)).toBe(token);
  });

  it('reads this process on Linux', () => {
    if (process.platform !== 'linux') return;
    expect(localProcesses.startToken(process.pid)).toMatch(/^\d+$/);
  });
});

describe('describeHolder', () => {
  it.each([
    [
      HOLDER,
      'a sandbox with pid 4242 on laptop (started 2026-12-04T10:00:00.000Z, AWS endpoint http://127.0.0.1:4566)',
    ],
    [
      { ...HOLDER, endpoint: undefined },
      'a sandbox with pid 4242 on laptop (started 2026-12-04T10:00:00.000Z, still starting, no endpoint yet)',
    ],
    [
      { ...HOLDER, purpose: 'reset' as const },
      '`egress reset` with pid 4242 on laptop (started 2026-12-04T10:00:00.000Z)',
    ],
  ])('%#', (holder, text) => {
    expect(describeHolder(holder)).toBe(text);
  });
});

describe('StateLock', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'state-lock-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is taken once: a second acquire names the holder, and release frees it', async () => {
    const stateDir = await mkdtemp(path.join(dir, 'once-'));
    const first = await StateLock.acquire(stateDir, { purpose: 'sandbox' });
    await first.update({ endpoint: 'http://127.0.0.1:1234' });
    const refused = await StateLock.acquire(stateDir, { purpose: 'sandbox' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StateDirectoryLockedError);
    expect((refused as Error).message).toContain(`pid ${process.pid}`);
    expect((refused as Error).message).toContain('AWS endpoint http://127.0.0.1:1234');
    expect((await liveHolder(stateDir))?.endpoint).toBe('http://127.0.0.1:1234');
    await first.release();
    await first.release();
    expect(await liveHolder(stateDir)).toBeUndefined();
    const again = await StateLock.acquire(stateDir, { purpose: 'reset' });
    await again.release();
    // No temporary files are left behind.
    expect(await readdir(stateDir)).toEqual([]);
  });

  it('takes over a lock whose process is gone, with a note; of many racing starters exactly one wins', async () => {
    const stateDir = await mkdtemp(path.join(dir, 'stale-'));
    const dead = { ...HOLDER, pid: 999_999_999, hostname: localProcesses.hostname };
    await writeFile(path.join(stateDir, LOCK_FILE_NAME), JSON.stringify(dead));
    const notes: string[] = [];
    const attempts = await Promise.allSettled(
      Array.from({ length: 6 }, () =>
        StateLock.acquire(stateDir, {
          purpose: 'sandbox',
          onTakeover: (stale, why) => notes.push(`${stale.pid}: ${why}`),
        }),
      ),
    );
    const won = attempts.filter((a) => a.status === 'fulfilled');
    const lost = attempts.filter((a) => a.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.every((a) => (a as PromiseRejectedResult).reason instanceof StateDirectoryLockedError)).toBe(
      true,
    );
    expect(notes).toEqual(['999999999: process 999999999 is gone']);
    const record = JSON.parse(await readFile(path.join(stateDir, LOCK_FILE_NAME), 'utf8'));
    expect(record.pid).toBe(process.pid);
    await (won[0] as PromiseFulfilledResult<StateLock>).value.release();
  });

  it('takes over a lock file that holds no record', async () => {
    const stateDir = await mkdtemp(path.join(dir, 'empty-'));
    await writeFile(path.join(stateDir, LOCK_FILE_NAME), '');
    const notes: string[] = [];
    const lock = await StateLock.acquire(stateDir, {
      purpose: 'sandbox',
      onTakeover: (_s, why) => notes.push(why),
    });
    expect(notes).toEqual(['the lock file held no readable record']);
    await lock.release();
  });

  it('release leaves a lock that is no longer its own', async () => {
    const stateDir = await mkdtemp(path.join(dir, 'replaced-'));
    const lock = await StateLock.acquire(stateDir, { purpose: 'sandbox' });
    const other = JSON.stringify({ ...HOLDER, hostname: 'elsewhere' });
    await writeFile(path.join(stateDir, LOCK_FILE_NAME), other);
    await lock.release();
    expect(await readFile(path.join(stateDir, LOCK_FILE_NAME), 'utf8')).toBe(other);
  });

  it('is given back when the process exits without releasing it (process.exit, not a kill -9)', async () => {
    const stateDir = await mkdtemp(path.join(dir, 'exit-'));
    const script = [
      `const { StateLock } = await import(${JSON.stringify(path.resolve('src/sandbox/state-lock.ts'))});`,
      `await StateLock.acquire(${JSON.stringify(stateDir)}, { purpose: 'sandbox' });`,
      "process.stdout.write('locked\\n');",
      'process.exit(3);',
    ].join('\n');
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    expect({ status: child.status, stdout: child.stdout, stderr: child.stderr }).toEqual({
      status: 3,
      stdout: 'locked\n',
      stderr: '',
    });
    expect(await readdir(stateDir)).toEqual([]);
  });

  it('stops listening for the exit once released (no listener left per acquire)', async () => {
    const stateDir = await mkdtemp(path.join(dir, 'listeners-'));
    const before = process.listenerCount('exit');
    const lock = await StateLock.acquire(stateDir, { purpose: 'sandbox' });
    expect(process.listenerCount('exit')).toBe(before + 1);
    await lock.release();
    expect(process.listenerCount('exit')).toBe(before);
  });
});
