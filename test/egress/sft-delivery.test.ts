import { mkdir, readdir, readFile, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKit, type TestKit } from '../../src/testing/index.ts';
import { waitFor } from '../../src/util/wait.ts';
import { Gate, gatedContent } from './support/slow-content.ts';
import { specContent } from './support/spec-content.ts';

const clock = () => new Date('2021-09-01T12:34:56Z');

let kit: TestKit;
beforeAll(async () => {
  kit = await startTestKit();
});
afterAll(async () => {
  await kit.stop();
});

/** Every file under a directory, relative, sorted. */
async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
    .sort();
}

describe('SFT egress (files under sftRoot for the SFT agent)', () => {
  it('writes to <sftRoot>/<destination_prefix> through a temporary name, then renames (scenario 8)', async () => {
    const world = await kit.world();
    const source = await kit.bucket('source');
    await kit.putRule(world, {
      source_prefix: '/dataworks-data-egress/sft',
      pipeline_name: 'INTEGRATION_TESTS',
      recipient_name: 'recipient',
      transfer_type: 'SFT',
      source_bucket: source,
      destination_prefix: '/testData/sft',
    });
    // A key with a leading slash, as in the original's scenario.
    await kit.putObject(source, '/dataworks-data-egress/sft/sft.csv', specContent('sft'));
    // Hold the content back half-way so the file can be observed while it is being written.
    const gate = new Gate();
    const { events } = await kit.startService(world, {}, { crypto: gatedContent(gate) });
    await kit.sendFlag(world, '/dataworks-data-egress/sft/pipeline_success.flag');

    const directory = path.join(world.sftRoot, 'testData/sft');
    const during = await waitFor(async () => {
      const names = await readdir(directory).catch(() => []);
      return names.length > 0 && names;
    });
    expect(during).toEqual([expect.stringMatching(/^\.sft\.csv\.[0-9a-f]{12}\.partial$/)]);
    gate.open();

    await waitFor(() => events.of('message_processed').find((event) => event.reason === 'completed'));
    expect(await filesUnder(world.sftRoot)).toEqual(['testData/sft/sft.csv']);
    expect(await readFile(path.join(directory, 'sft.csv'), 'utf8')).toBe(specContent('sft'));
  });

  it('keeps .enc on timestamped SFT data files (the agent routes expect it); control file beside them', async () => {
    const world = await kit.world();
    const source = await kit.bucket('source');
    await kit.putRule(world, {
      source_prefix: 'ris/$TODAYS_DATE/incremental/db.core.claimant-',
      pipeline_name: 'RIS',
      recipient_name: 'DSP',
      transfer_type: 'SFT',
      source_bucket: source,
      destination_prefix: '/data-egress/RIS',
      decrypt: true,
      timestamp_files: true,
      control_file_prefix: 'db.core.claimant-$TODAYS_DATE.control',
    });
    await kit.putObject(
      source,
      'ris/2021-09-01/incremental/db.core.claimant-045-070-000001.txt.gz.enc',
      'ris data',
    );
    const { events } = await kit.startService(world, {}, { clock });
    await kit.sendFlag(world, 'ris/2021-09-01/incremental/db.core.claimant-pipeline_success.flag');

    await waitFor(() => events.of('message_processed').find((event) => event.reason === 'completed'));
    expect(await filesUnder(world.sftRoot)).toEqual([
      'data-egress/RIS/db.core.claimant-045-070-000001.20210901.txt.gz.enc',
      'data-egress/RIS/db.core.claimant-20210901.control',
    ]);
    expect(
      await readFile(path.join(world.sftRoot, 'data-egress/RIS/db.core.claimant-20210901.control'), 'utf8'),
    ).toBe('db.core.claimant-045-070-000001.20210901.txt.gz.enc\n');
  });

  it('a pipeline_name#sft row is just another rule: one flag, two transfers (S3 and SFT)', async () => {
    const world = await kit.world();
    const [source, destination] = await Promise.all([kit.bucket('source'), kit.bucket('destination')]);
    const common = { source_prefix: 'dataegress/sas/', recipient_name: 'SAS', source_bucket: source };
    await kit.putRule(world, {
      ...common,
      pipeline_name: 'SAS',
      transfer_type: 'S3',
      destination_bucket: destination,
      destination_prefix: 'sas/',
    });
    await kit.putRule(world, {
      ...common,
      pipeline_name: 'SAS#sft',
      transfer_type: 'SFT',
      destination_prefix: '/data-egress/sas/',
    });
    await kit.putObject(source, 'dataegress/sas/report.csv', specContent('sas'));
    const { events } = await kit.startService(world);
    await kit.sendFlag(world, 'dataegress/sas/pipeline_success.flag');

    const processed = await waitFor(() =>
      events.of('message_processed').find((event) => event.reason === 'completed'),
    );
    const byPipeline = Object.fromEntries(
      processed.rules.map((rule) => [rule.rule.pipelineName, [rule.transferType, rule.objectsSent]]),
    );
    expect(byPipeline).toEqual({ SAS: ['S3', 1], 'SAS#sft': ['SFT', 1] });
    expect(await kit.getText(destination, 'sas/report.csv')).toBe(specContent('sas'));
    expect(await readFile(path.join(world.sftRoot, 'data-egress/sas/report.csv'), 'utf8')).toBe(
      specContent('sas'),
    );
    expect(events.of('object_transferred')).toHaveLength(2);
  });

  it('refuses a destination_prefix that would leave sftRoot: the object fails, nothing is written, the message is retried', async () => {
    const world = await kit.world();
    const source = await kit.bucket('source');
    const outside = path.join(path.dirname(world.sftRoot), `outside-${path.basename(world.sftRoot)}`);
    await kit.putRule(world, {
      source_prefix: 'escape/',
      pipeline_name: 'ESCAPE',
      transfer_type: 'SFT',
      source_bucket: source,
      destination_prefix: `/../${path.basename(outside)}`,
    });
    await kit.putObject(source, 'escape/secret.csv', 'must not leave the root');
    const { events } = await kit.startService(world);
    await kit.sendFlag(world, 'escape/pipeline_success.flag');

    const failed = await waitFor(() => events.of('object_failed')[0]);
    expect(failed.reason).toMatch(/'\.\.' segment/);
    const processed = await waitFor(() => events.of('message_processed')[0]);
    expect(processed).toMatchObject({ action: 'retained', reason: 'failed' });
    await expect(readdir(outside)).rejects.toThrow(/ENOENT/);
    expect(await filesUnder(world.sftRoot)).toEqual([]);
  });

  it('refuses to follow a symbolic link inside sftRoot that points outside it', async () => {
    const world = await kit.world();
    const source = await kit.bucket('source');
    const outside = await import('node:fs/promises').then((fs) =>
      fs.mkdtemp(path.join(os.tmpdir(), 'egress-outside-')),
    );
    await mkdir(path.join(world.sftRoot, 'data-egress'), { recursive: true });
    await symlink(outside, path.join(world.sftRoot, 'data-egress', 'linked'));
    await kit.putRule(world, {
      source_prefix: 'link/',
      pipeline_name: 'LINK',
      transfer_type: 'SFT',
      source_bucket: source,
      destination_prefix: '/data-egress/linked/',
    });
    await kit.putObject(source, 'link/secret.csv', 'must not leave the root');
    const { events } = await kit.startService(world);
    await kit.sendFlag(world, 'link/pipeline_success.flag');

    const failed = await waitFor(() => events.of('object_failed')[0]);
    expect(failed.reason).toMatch(/would leave the SFT root/);
    expect(await readdir(outside)).toEqual([]);
  });
});
