import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3WriteRecord } from '../../src/edge/index.ts';
import { startTestKit, type TestKit } from '../../src/testing/index.ts';
import { waitFor } from '../../src/util/wait.ts';

/*
 * Every S3 put of the service carries the canned ACL bucket-owner-full-control (behaviour §3.6): data
 * (a single PutObject, and a multipart upload whose CreateMultipartUpload carries it), control file
 * and manifest — observed on the wire by the edge's write records.
 */

let kit: TestKit;
beforeAll(async () => {
  kit = await startTestKit();
});
afterAll(async () => {
  await kit.stop();
});

describe('canned ACL on every S3 write', () => {
  it('data (single and multipart), control file and manifest all ask for bucket-owner-full-control', async () => {
    const world = await kit.world();
    const [source, destination] = await Promise.all([kit.bucket('source'), kit.bucket('destination')]);
    await kit.putRule(world, {
      source_prefix: 'acl/',
      pipeline_name: 'ACL',
      transfer_type: 'S3',
      source_bucket: source,
      destination_bucket: destination,
      destination_prefix: 'out/',
      control_file_prefix: 'acl.control',
      manifest_file_name: 'acl-manifest.csv',
    });
    await kit.putObject(source, 'acl/small.csv', 'a,b\n');
    await kit.putObject(source, 'acl/large.bin', randomBytes(6 * 1024 * 1024)); // > one 5 MiB part
    const writes: S3WriteRecord[] = [];
    kit.edge.onS3Write((record) => writes.push(record));
    // A write without an ACL is recorded as such: the check below can fail.
    await kit.putObject(destination, 'unrelated/no-acl.txt', 'x');

    const { events } = await kit.startService(world, { uploadPartSizeMiB: 5 });
    await kit.sendFlag(world, 'acl/pipeline_success.flag', source);
    await waitFor(() => events.of('message_processed').some((event) => event.reason === 'completed'), {
      timeoutMs: 20_000,
    });

    const byKey = Object.fromEntries(
      writes.filter((write) => write.bucket === destination).map((write) => [write.key, write]),
    );
    expect(byKey['unrelated/no-acl.txt']?.acl).toBeUndefined();
    for (const key of ['out/small.csv', 'out/large.bin', 'out/acl.control', 'out/acl-manifest.csv.gz']) {
      expect(byKey[key], key).toMatchObject({ status: 200, acl: 'bucket-owner-full-control' });
    }
    expect(byKey['out/large.bin']?.method).toBe('POST'); // the multipart completion
  });
});
