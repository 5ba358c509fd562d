import { randomBytes } from 'node:crypto';
import { gunzipSync, inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKit, type TestKit } from '../../src/testing/index.ts';
import { waitFor } from '../../src/util/wait.ts';
import { specContent } from './support/spec-content.ts';

const SPEC_DAY = new Date('2021-09-01T12:34:56Z');
const clock = () => SPEC_DAY;

let kit: TestKit;
beforeAll(async () => {
  kit = await startTestKit();
});
afterAll(async () => {
  await kit.stop();
});

function rule(source: string, destination: string, overrides: Record<string, unknown>) {
  return {
    pipeline_name: 'INTEGRATION_TESTS',
    recipient_name: 'recipient',
    transfer_type: 'S3',
    source_bucket: source,
    destination_bucket: destination,
    timestamp_files: false,
    ...overrides,
  };
}

describe('S3 → S3 egress against the embedded edge', () => {
  it('copies a plain object end to end: flag upload → S3 notification → SQS → rule → destination', async () => {
    const world = await kit.world();
    const [source, destination] = await Promise.all([kit.bucket('source'), kit.bucket('destination')]);
    await kit.putRule(
      world,
      rule(source, destination, { source_prefix: 'plain/', destination_prefix: 'plain/' }),
    );
    await kit.putObject(source, 'plain/plain.csv', specContent('plain'));
    const { service, events } = await kit.startService(world);
    await kit.notifyFlags(world, source);
    await kit.putObject(source, 'plain/pipeline_success.flag', '');

    await waitFor(() => events.of('message_processed').find((event) => event.reason === 'completed'), {
      description: 'the flag message to complete',
    });
    expect(await kit.keys(destination)).toEqual(['plain/plain.csv']);
    expect(await kit.getText(destination, 'plain/plain.csv')).toBe(specContent('plain'));
    // The initial s3:TestEvent was acknowledged, not treated as a failure.
    expect(events.of('message_processed').map((event) => [event.action, event.reason])).toEqual(
      expect.arrayContaining([
        ['deleted', 'test-event'],
        ['deleted', 'completed'],
      ]),
    );
    await waitFor(
      async () => {
        const depth = await kit.queueDepth(world.queueUrl);
        return depth.visible + depth.inFlight === 0;
      },
      { description: 'the queue to be empty' },
    );

    const metrics = await (await fetch(service.metricsUrl)).text();
    expect(metrics).toMatch(
      /data_egress_files_sent_success_total\{source_prefix="plain\/",pipeline_name="INTEGRATION_TESTS",destination_prefix="plain\/",recipient="recipient",transfer_type="S3"\} 1/,
    );
  });

  it('gz-compresses (scenario 6) and zlib-deflates (scenario 7), including incompressible and empty content', async () => {
    const world = await kit.world();
    const [source, destination] = await Promise.all([kit.bucket('source'), kit.bucket('destination')]);
    const random = randomBytes(64 * 1024);
    await kit.putRule(
      world,
      rule(source, destination, {
        source_prefix: 'gz/',
        destination_prefix: 'gz/',
        compress: true,
        compress_fmt: 'gz',
      }),
    );
    await kit.putRule(
      world,
      rule(source, destination, {
        source_prefix: 'z/',
        destination_prefix: 'z/',
        compress: true,
        compress_fmt: 'z',
      }),
    );
    await kit.putObject(source, 'gz/gz.csv', specContent('gz'));
    await kit.putObject(source, 'z/z.csv', specContent('z'));
    // Content that grows when deflated, and empty content: the original truncated / emptied both.
    await kit.putObject(source, 'z/random.bin', random);
    await kit.putObject(source, 'z/empty.csv', Buffer.alloc(0));
    const { events } = await kit.startService(world);
    await kit.sendFlag(world, 'gz/pipeline_success.flag');
    await kit.sendFlag(world, 'z/pipeline_success.flag');

    await waitFor(
      () => events.of('message_processed').filter((event) => event.reason === 'completed').length === 2,
      {
        description: 'both messages to complete',
      },
    );
    expect(await kit.keys(destination)).toEqual([
      'gz/gz.csv.gz',
      'z/empty.csv.z',
      'z/random.bin.z',
      'z/z.csv.z',
    ]);
    expect(gunzipSync(await kit.getBytes(destination, 'gz/gz.csv.gz')).toString()).toBe(specContent('gz'));
    const deflated = await kit.getBytes(destination, 'z/z.csv.z');
    expect(deflated.length).toBeLessThan(specContent('z').length); // not padded to the input length
    expect(inflateSync(deflated).toString()).toBe(specContent('z'));
    expect(inflateSync(await kit.getBytes(destination, 'z/random.bin.z')).equals(random)).toBe(true);
    expect(inflateSync(await kit.getBytes(destination, 'z/empty.csv.z')).length).toBe(0);
  });

  it('expands date placeholders in source and destination prefixes (scenario 5)', async () => {
    const world = await kit.world();
    const [source, destination] = await Promise.all([kit.bucket('source'), kit.bucket('destination')]);
    await kit.putRule(
      world,
      rule(source, destination, {
        source_prefix: 'today/$TODAYS_DATE',
        destination_prefix:
          'today/$TODAYS_DATE/$TODAYS_YYYYMMDD_FORMATTED_DATE/$TODAYS_YYYYMMDD_HHMMSS_FORMATTED_DATE',
      }),
    );
    await kit.putObject(source, 'today/2021-09-01/today.csv', specContent('today'));
    await kit.putObject(source, 'today/2021-08-31/yesterday.csv', 'not today');
    const { events } = await kit.startService(world, {}, { clock });
    await kit.sendFlag(world, 'today/2021-09-01/pipeline_success.flag');

    await waitFor(() => events.of('message_processed').find((event) => event.reason === 'completed'));
    expect(await kit.keys(destination)).toEqual(['today/2021-09-01/20210901/20210901_123456/today.csv']);
  });

  it('timestamps files, strips .enc when decrypting and writes the control file of what was sent (scenario 1)', async () => {
    const world = await kit.world();
    const [source, destination] = await Promise.all([kit.bucket('source'), kit.bucket('destination')]);
    await kit.putRule(
      world,
      rule(source, destination, {
        source_prefix: 'collections/$TODAYS_DATE/incremental/database.collection5-',
        destination_prefix: 'collections/$TODAYS_DATE/incremental/',
        decrypt: true,
        timestamp_files: true,
        control_file_prefix: 'database.collection5-$TODAYS_DATE.control',
      }),
    );
    const uploads: Promise<void>[] = [];
    for (let c = 0; c < 10; c += 1) {
      for (let f = 0; f < 10; f += 1) {
        const key = `collections/2021-09-01/incremental/database.collection${c}-${f}.csv.enc`;
        uploads.push(kit.putObject(source, key, specContent(`${c}-${f}`)));
      }
    }
    await Promise.all(uploads);
    const { events } = await kit.startService(world, {}, { clock });
    await kit.sendFlag(
      world,
      'collections/2021-09-01/incremental/database.collection5-pipeline_success.flag',
    );

    await waitFor(() => events.of('message_processed').find((event) => event.reason === 'completed'));
    const expected = [
      ...Array.from(
        { length: 10 },
        (_, f) => `collections/2021-09-01/incremental/database.collection5-${f}.20210901.csv`,
      ),
      'collections/2021-09-01/incremental/database.collection5-20210901.control',
    ].sort();
    expect(await kit.keys(destination)).toEqual(expected);
    expect(
      await kit.getText(
        destination,
        'collections/2021-09-01/incremental/database.collection5-3.20210901.csv',
      ),
    ).toBe(specContent('5-3'));
    const control = await kit.getText(
      destination,
      'collections/2021-09-01/incremental/database.collection5-20210901.control',
    );
    expect(control).toBe(
      Array.from({ length: 10 }, (_, f) => `database.collection5-${f}.20210901.csv\n`).join(''),
    );
    expect(events.of('file_written')).toEqual([expect.objectContaining({ kind: 'control', entries: 10 })]);
  });

  it('writes a plaintext gzip manifest of what was delivered, with data_product metadata', async () => {
    const world = await kit.world();
    const [source, destination] = await Promise.all([kit.bucket('source'), kit.bucket('destination')]);
    await kit.putRule(
      world,
      rule(source, destination, {
        source_prefix: 'htme/$TODAYS_DATE/incremental/db.core.contract-',
        destination_prefix: 'rtg/$TODAYS_DATE/',
        compress: true,
        compress_fmt: 'gz',
        timestamp_files: true,
        manifest_file_name: 'db.core.contract-manifest-$TODAYS_YYYYMMDD_FORMATTED_DATE.csv',
      }),
    );
    await kit.putObject(source, 'htme/2021-09-01/incremental/db.core.contract-001.txt', 'a'.repeat(1000));
    await kit.putObject(source, 'htme/2021-09-01/incremental/db.core.contract-002.txt', 'b'.repeat(2000));
    const { events } = await kit.startService(world, {}, { clock });
    await kit.sendFlag(world, 'htme/2021-09-01/incremental/db.core.contract-pipeline_success.flag');

    await waitFor(() => events.of('message_processed').find((event) => event.reason === 'completed'));
    const manifestKey = 'rtg/2021-09-01/db.core.contract-manifest-20210901.csv.gz'; // never .gz.gz
    expect(await kit.keys(destination)).toEqual([
      'rtg/2021-09-01/db.core.contract-001.20210901.txt.gz',
      'rtg/2021-09-01/db.core.contract-002.20210901.txt.gz',
      manifestKey,
    ]);
    const sizes = await Promise.all(
      ['001', '002'].map(
        async (n) =>
          (await kit.getBytes(destination, `rtg/2021-09-01/db.core.contract-${n}.20210901.txt.gz`)).length,
      ),
    );
    expect(gunzipSync(await kit.getBytes(destination, manifestKey)).toString()).toBe(
      `rtg/2021-09-01/db.core.contract-001.20210901.txt.gz  ${sizes[0]} 2021-09-01\n` +
        `rtg/2021-09-01/db.core.contract-002.20210901.txt.gz  ${sizes[1]} 2021-09-01\n`,
    );
    const head = await kit.head(destination, manifestKey);
    expect(head.Metadata).toEqual({ data_product: 'db.core.contract', data_product_type: 'incremental' });
  });

  it('passes source metadata through nowhere for plain objects (behaviour §3.6)', async () => {
    const world = await kit.world();
    const [source, destination] = await Promise.all([kit.bucket('source'), kit.bucket('destination')]);
    await kit.putRule(
      world,
      rule(source, destination, { source_prefix: 'meta/', destination_prefix: 'meta/' }),
    );
    await kit.putObject(source, 'meta/m.csv', 'x', { owner: 'someone' });
    const { events } = await kit.startService(world);
    await kit.sendFlag(world, 'meta/pipeline_success.flag');
    await waitFor(() => events.of('message_processed').find((event) => event.reason === 'completed'));
    expect((await kit.head(destination, 'meta/m.csv')).Metadata).toEqual({});
  });
});
