import { lstat, mkdir, readdir, readFile, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKit, type TestKit, type TestWorld } from '../../src/testing/index.ts';
import { waitFor } from '../../src/util/wait.ts';

/*
 * What the egress service writes under sftRoot, as the SFT agent will see it (issue 12):
 * item 2: no symbolic link at any level below sftRoot, wherever it points;
 * item 3: names the agent ignores are refused, never "sent" and stranded;
 * item 8: a valid long multi-byte name is written (generated names are capped in bytes);
 * item 9: files 0600, directories the service creates 0700, whatever the umask.
 */

let kit: TestKit;
let previousUmask: number;
beforeAll(async () => {
  kit = await startTestKit();
  // With umask 000 every permission not asked for explicitly would show.
  previousUmask = process.umask(0);
});
afterAll(async () => {
  process.umask(previousUmask);
  await kit.stop();
});

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => !entry.isDirectory())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
    .sort();
}

/** One SFT rule on `prefix` to `destination`, objects put, the service started, the flag sent. */
async function run(
  world: TestWorld,
  prefix: string,
  destination: string,
  objects: Record<string, string>,
  rule: Record<string, unknown> = {},
) {
  const source = await kit.bucket('source');
  await kit.putRule(world, {
    source_prefix: prefix,
    pipeline_name: 'VOLUME',
    transfer_type: 'SFT',
    source_bucket: source,
    destination_prefix: destination,
    ...rule,
  });
  for (const [key, body] of Object.entries(objects)) await kit.putObject(source, `${prefix}${key}`, body);
  const { events } = await kit.startService(world, {
    visibilityTimeoutSeconds: 2,
    heartbeatIntervalSeconds: 1,
  });
  const messageId = await kit.sendFlag(world, `${prefix}pipeline_success.flag`);
  return { events, messageId };
}

describe('the SFT sink and the SFT volume', () => {
  it('refuses a destination reached through a symbolic link even when it points inside sftRoot; the message ends in the DLQ', async () => {
    const world = await kit.world({ maxReceiveCount: 2 });
    await mkdir(path.join(world.sftRoot, 'data-egress/real'), { recursive: true });
    await symlink(
      path.join(world.sftRoot, 'data-egress/real'),
      path.join(world.sftRoot, 'data-egress/alias'),
    );
    const { events, messageId } = await run(world, 'alias/', '/data-egress/alias/', { 'a.csv': 'a' });

    const failed = await waitFor(() => events.of('object_failed')[0]);
    expect(failed.reason).toMatch(/symbolic link .*alias; links below the SFT root are refused/);
    const inDlq = await waitFor(() => kit.receiveOne(world.deadLetterQueueUrl), {
      timeoutMs: 15_000,
      description: 'the message to be redriven to the DLQ',
    });
    expect(inDlq.MessageId).toBe(messageId);
    expect(await readdir(path.join(world.sftRoot, 'data-egress/real'))).toEqual([]);
  });

  it('refuses names the SFT agent ignores (hidden, *.tmp, *.partial): the object fails with the reason, the others are written, the message is retried', async () => {
    const world = await kit.world({ maxReceiveCount: 2 });
    const { events, messageId } = await run(
      world,
      'ignored/',
      '/data-egress/ignored/',
      { '.hidden.csv': 'h', 'report.tmp': 't', 'report.csv.partial': 'p', 'good.csv': 'g' },
      { control_file_prefix: 'ignored.ctl' },
    );
    const failures = await waitFor(() => {
      const all = events.of('object_failed');
      return all.length >= 3 && all;
    });
    expect(failures.map((failure) => failure.sourceKey).sort()).toEqual([
      'ignored/.hidden.csv',
      'ignored/report.csv.partial',
      'ignored/report.tmp',
    ]);
    for (const failure of failures)
      expect(failure.reason).toMatch(/the SFT agent never sends it: it (starts|ends) with/);
    const processed = await waitFor(() => events.of('message_processed')[0]);
    expect(processed).toMatchObject({ action: 'retained', reason: 'failed' });
    // Never "sent" and stranded: nothing of those names, and no control file announcing them.
    expect(await filesUnder(world.sftRoot)).toEqual(['data-egress/ignored/good.csv']);
    const inDlq = await waitFor(() => kit.receiveOne(world.deadLetterQueueUrl), {
      timeoutMs: 15_000,
      description: 'the message to be redriven to the DLQ',
    });
    expect(inDlq.MessageId).toBe(messageId);
  });

  it('writes a valid 244-byte Cyrillic name (its temporary name is capped in bytes, not UTF-16 units)', async () => {
    const world = await kit.world();
    const name = `${'д'.repeat(120)}.csv`;
    expect(Buffer.byteLength(name)).toBe(244);
    const { events } = await run(world, 'cyrillic/', '/data-egress/cyrillic/', { [name]: 'кириллица' });
    const processed = await waitFor(() => events.of('message_processed')[0]);
    expect(events.of('object_failed')).toEqual([]);
    expect(processed).toMatchObject({ action: 'deleted', reason: 'completed' });
    expect(await readFile(path.join(world.sftRoot, 'data-egress/cyrillic', name), 'utf8')).toBe('кириллица');
  });

  it('refuses a file name over 255 bytes with a clear reason', async () => {
    const world = await kit.world();
    const name = `${'😀'.repeat(64)}.csv`;
    const { events } = await run(world, 'long/', '/data-egress/long/', { [name]: 'x' });
    const failed = await waitFor(() => events.of('object_failed')[0]);
    expect(failed.reason).toMatch(/name too long: .* is 260 bytes, the limit is 255/);
  });

  it('creates files 0600 and the directories it makes 0700, whatever the umask', async () => {
    const world = await kit.world();
    const { events } = await run(
      world,
      'modes/',
      '/data-egress/modes/deep/',
      { 'data.csv': 'd' },
      { control_file_prefix: 'modes.ctl', manifest_file_name: 'modes.mf' },
    );
    await waitFor(() => events.of('message_processed')[0]);
    const files = await filesUnder(world.sftRoot);
    expect(files).toEqual([
      'data-egress/modes/deep/data.csv',
      'data-egress/modes/deep/modes.ctl',
      'data-egress/modes/deep/modes.mf.gz',
    ]);
    for (const file of files) expect((await stat(path.join(world.sftRoot, file))).mode & 0o777).toBe(0o600);
    for (const directory of ['data-egress', 'data-egress/modes', 'data-egress/modes/deep']) {
      const entry = await lstat(path.join(world.sftRoot, directory));
      expect(entry.mode & 0o777).toBe(0o700);
    }
  });
});
