import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3WriteRecord } from '../../src/edge/index.ts';
import { ROLE_SESSION_NAME } from '../../src/egress/transfer/destination-clients.ts';
import { startTestKit, type TestKit } from '../../src/testing/index.ts';
import { waitFor } from '../../src/util/wait.ts';

let kit: TestKit;
beforeAll(async () => {
  kit = await startTestKit();
});
afterAll(async () => {
  await kit.stop();
});

describe('role_arn', () => {
  it('writes data, control file and manifest with assumed-role credentials, assuming the role once', async () => {
    const world = await kit.world();
    const [source, roleDestination, ownDestination] = await Promise.all([
      kit.bucket('source'),
      kit.bucket('role-destination'),
      kit.bucket('own-destination'),
    ]);
    const roleArn = 'arn:aws:iam::123456789012:role/rtg-data-egress';
    await kit.putRule(world, {
      source_prefix: 'pdm/',
      pipeline_name: 'PDM_RTG',
      transfer_type: 'S3',
      source_bucket: source,
      destination_bucket: roleDestination,
      role_arn: roleArn,
      control_file_prefix: 'pdm.control',
      manifest_file_name: 'pdm-manifest.csv',
    });
    await kit.putRule(world, {
      source_prefix: 'pdm/',
      pipeline_name: 'OWN_CREDENTIALS',
      transfer_type: 'S3',
      source_bucket: source,
      destination_bucket: ownDestination,
      role_arn: '',
    });
    await Promise.all(['a', 'b', 'c'].map((name) => kit.putObject(source, `pdm/${name}.csv`, name)));
    const writes: S3WriteRecord[] = [];
    kit.edge.onS3Write((record) => writes.push(record));
    const { events } = await kit.startService(world);
    await kit.sendFlag(world, 'pdm/pipeline_success.flag');
    await kit.sendFlag(world, 'pdm/pipeline_success.flag'); // a second message reuses the credentials

    await waitFor(
      () => events.of('message_processed').filter((event) => event.reason === 'completed').length === 2,
    );
    const assumed = kit.edge.assumedRoles().filter((role) => role.roleArn === roleArn);
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
