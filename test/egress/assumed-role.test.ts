import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3WriteRecord } from '../../src/edge/index.ts';
import { ROLE_SESSION_NAME } from '../../src/egress/transfer/destination-clients.ts';
import { waitFor } from '../../src/util/wait.ts';
import { Harness } from './support/harness.ts';

let harness: Harness;
beforeAll(async () => {
  harness = await Harness.start();
});
afterAll(async () => {
  await harness.close();
});

describe('role_arn', () => {
  it('writes data, control file and manifest with assumed-role credentials, assuming the role once', async () => {
    const world = await harness.world();
    const [source, roleDestination, ownDestination] = await Promise.all([
      harness.bucket('source'),
      harness.bucket('role-destination'),
      harness.bucket('own-destination'),
    ]);
    const roleArn = 'arn:aws:iam::123456789012:role/rtg-data-egress';
    await harness.putRule(world, {
      source_prefix: 'pdm/',
      pipeline_name: 'PDM_RTG',
      transfer_type: 'S3',
      source_bucket: source,
      destination_bucket: roleDestination,
      role_arn: roleArn,
      control_file_prefix: 'pdm.control',
      manifest_file_name: 'pdm-manifest.csv',
    });
    await harness.putRule(world, {
      source_prefix: 'pdm/',
      pipeline_name: 'OWN_CREDENTIALS',
      transfer_type: 'S3',
      source_bucket: source,
      destination_bucket: ownDestination,
      role_arn: '',
    });
    await Promise.all(['a', 'b', 'c'].map((name) => harness.putObject(source, `pdm/${name}.csv`, name)));
    const writes: S3WriteRecord[] = [];
    harness.edge.onS3Write((record) => writes.push(record));
    const { events } = await harness.startService(world);
    await harness.sendFlag(world, 'pdm/pipeline_success.flag');
    await harness.sendFlag(world, 'pdm/pipeline_success.flag'); // a second message reuses the credentials

    await waitFor(
      () => events.of('message_processed').filter((event) => event.reason === 'completed').length === 2,
    );
    const assumed = harness.edge.assumedRoles().filter((role) => role.roleArn === roleArn);
    expect(assumed).toHaveLength(1); // not one AssumeRole per object (behaviour §10.20)
    expect(assumed[0]?.sessionName).toBe(ROLE_SESSION_NAME);

    const roleWrites = writes.filter((write) => write.bucket === roleDestination);
    expect(roleWrites.map((write) => write.key).sort()).toEqual([
      'a.csv',
      'a.csv',
      'b.csv',
      'b.csv',
      'c.csv',
      'c.csv',
      'pdm-manifest.csv.gz',
      'pdm-manifest.csv.gz',
      'pdm.control',
      'pdm.control',
    ]);
    expect(new Set(roleWrites.map((write) => write.accessKeyId))).toEqual(new Set([assumed[0]?.accessKeyId]));
    // A rule without a role writes with the service's own credentials.
    const ownWrites = writes.filter((write) => write.bucket === ownDestination);
    expect(ownWrites).toHaveLength(6);
    expect(new Set(ownWrites.map((write) => write.accessKeyId))).toEqual(new Set(['test']));
  });
});
