/**
 * Steps that check the service is deployed like the original: the canned ACL on every S3 write and
 * `role_arn` (STS AssumeRole, session `data-egress`) for destination writes and re-wrap key reads.
 *
 * What is observed and where:
 * - the ACL header and the access key of each S3 write: on the wire, by the embedded edge;
 * - the roles STS handed out: by the edge's STS stand-in;
 * - the credentials of each SSM read and source read: by the service's AWS call log
 *   (reports/aws-calls.ndjson, steps/support/iam-calls.ts), which records the access key each
 *   call is signed with.
 * On a target without the embedded edge (moto), the writes and the AssumeRole calls are read from
 * that call log too: what the service asked for rather than what arrived on the wire (moto stores a
 * bucket-owner-full-control object with the same grants as a private one when one account owns
 * both, and does not say which credentials signed a request).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { type DataTable, Given, Then } from '@cucumber/cucumber';
import { AWS_CALL_LOG_VARIABLE, type RecordedAwsCall } from '../src/aws/call-recorder.ts';
import { parseRecordedCalls } from '../src/aws/iam/index.ts';
import type { S3WriteRecord } from '../src/edge/index.ts';
import { waitFor } from '../src/util/wait.ts';
import type { EgressWorld } from './support/world.ts';

/** One S3 write as these steps compare it, whoever observed it. */
type ObservedWrite = Pick<S3WriteRecord, 'method' | 'bucket' | 'key' | 'acl' | 'accessKeyId'>;

/** One STS AssumeRole as these steps compare it. */
interface ObservedRole {
  roleArn: string;
  sessionName: string;
  accessKeyId: string;
}

/** The service's recorded AWS calls so far (the log the least-privilege check reads). */
async function recordedCalls(): Promise<RecordedAwsCall[]> {
  const log = process.env[AWS_CALL_LOG_VARIABLE];
  assert.ok(log, `${AWS_CALL_LOG_VARIABLE} is not set: steps/support/iam-calls.ts records the calls`);
  return parseRecordedCalls(await readFile(log, 'utf8'), log);
}

/** The S3 requests that carry a write's canned ACL: a PutObject, or the first request of a multipart upload. */
const ACL_CARRYING = new Set(['PutObject', 'CreateMultipartUpload']);

/** The writes the service asked for, from its call log (targets without the embedded edge). */
async function recordedWrites(): Promise<ObservedWrite[]> {
  return (await recordedCalls())
    .filter((call) => call.service === 'S3' && ACL_CARRYING.has(call.operation) && call.resource)
    .map((call) => {
      const slash = call.resource!.indexOf('/');
      return {
        method: call.operation,
        bucket: call.resource!.slice(0, slash),
        key: call.resource!.slice(slash + 1),
        acl: call.acl,
        accessKeyId: call.accessKeyId,
      };
    });
}

/** The successful writes the edge saw (from "Given … watches the S3 writes"), or the recorded ones. */
async function observedWrites(world: EgressWorld): Promise<ObservedWrite[]> {
  if (!world.target.sandbox?.edge) return recordedWrites();
  const writes = world.notes.get('deployment:writes') as S3WriteRecord[] | undefined;
  assert.ok(writes, 'start with "Given the S3 writes are watched"');
  return writes.filter((w) => w.status >= 200 && w.status < 300);
}

/** The roles STS handed out to the service: by the edge's STS, or from the service's call log. */
async function observedRoles(world: EgressWorld, roleArn: string): Promise<ObservedRole[]> {
  const edge = world.target.sandbox?.edge;
  if (edge) return edge.assumedRoles().filter((r) => r.roleArn === roleArn);
  const calls = await recordedCalls();
  // The role's access key: the one the calls the service makes as that role are signed with.
  const accessKeyId = calls.find((call) => call.principal === roleArn && call.accessKeyId)?.accessKeyId;
  return calls
    .filter((call) => call.service === 'STS' && call.operation === 'AssumeRole' && call.resource === roleArn)
    .map((call) => ({ roleArn, sessionName: call.sessionName ?? '', accessKeyId: accessKeyId ?? '' }));
}

/** The writes to `bucket` under the scenario's `prefix`, once every key in `keys` is there. */
async function writesOf(world: EgressWorld, bucket: string, prefix: string, keys: string[]) {
  const scoped = world.key(prefix);
  let under: ObservedWrite[] = [];
  await waitFor(
    async () => {
      under = (await observedWrites(world)).filter((w) => w.bucket === bucket && w.key?.startsWith(scoped));
      return keys.every((key) => under.some((w) => w.key === world.key(key)));
    },
    { timeoutMs: 30_000, description: `writes of ${keys.join(', ')} to s3://${bucket}` },
  );
  return under;
}

function assumedRole(world: EgressWorld, roleArn: string) {
  const role = world.notes.get(`deployment:role:${roleArn}`) as { accessKeyId: string } | undefined;
  assert.ok(role, `the role ${roleArn} was not checked as assumed yet`);
  return role;
}

Given('the S3 writes are watched', function (this: EgressWorld) {
  const edge = this.target.sandbox?.edge;
  // Without the embedded edge the service's own call log is read (see the top of this file).
  if (!edge) return;
  const writes: S3WriteRecord[] = [];
  const stop = edge.onS3Write((record) => writes.push(record));
  this.notes.set('deployment:writes', writes);
  this.onCleanup(async () => stop());
});

Then(
  'the writes to {string} under {string} are exactly these, each asking for the canned ACL {string}:',
  async function (this: EgressWorld, bucket: string, prefix: string, acl: string, table: DataTable) {
    const keys = table.hashes().map((row) => this.expand(row.key!));
    const writes = await writesOf(this, this.expand(bucket), prefix, keys);
    assert.deepEqual(
      [...new Set(writes.map((w) => w.key))].sort(),
      keys.map((key) => this.key(key)).sort(),
      'the keys written',
    );
    for (const write of writes) {
      assert.equal(write.acl, acl, `the ACL of the ${write.method} of s3://${write.bucket}/${write.key}`);
    }
  },
);

Then(
  'the egress service assumed the role {string} once, with the session name {string}',
  async function (this: EgressWorld, role: string, session: string) {
    const roleArn = this.expand(role);
    let issued: ObservedRole[] = [];
    await waitFor(
      async () => {
        issued = await observedRoles(this, roleArn);
        return issued.length > 0;
      },
      { timeoutMs: 30_000, description: `AssumeRole of ${roleArn}` },
    );
    assert.equal(issued.length, 1, `AssumeRole calls for ${roleArn} (credentials are reused)`);
    assert.equal(issued[0]!.sessionName, session);
    assert.ok(issued[0]!.accessKeyId, `the access key STS handed out for ${roleArn}`);
    this.notes.set(`deployment:role:${roleArn}`, issued[0]);
  },
);

Then(
  'these writes to {string} were signed with the credentials of {string}:',
  async function (this: EgressWorld, bucket: string, role: string, table: DataTable) {
    const { accessKeyId } = assumedRole(this, this.expand(role));
    const keys = table.hashes().map((row) => this.expand(row.key!));
    const written = (await writesOf(this, this.expand(bucket), '', keys)).filter((w) =>
      keys.some((key) => w.key === this.key(key)),
    );
    for (const write of written) {
      assert.equal(write.acl, 'bucket-owner-full-control', `the ACL of s3://${write.bucket}/${write.key}`);
      assert.equal(write.accessKeyId, accessKeyId, `the access key of s3://${write.bucket}/${write.key}`);
    }
  },
);

Then(
  'the egress service read the SSM parameter {string} with the credentials of {string}',
  async function (this: EgressWorld, parameter: string, role: string) {
    const name = this.expand(parameter);
    const { accessKeyId } = assumedRole(this, this.expand(role));
    const reads = (await recordedCalls()).filter(
      (call) => call.service === 'SSM' && call.operation === 'GetParameter' && call.resource === name,
    );
    assert.ok(reads.length > 0, `no GetParameter of ${name} was recorded`);
    for (const read of reads)
      assert.equal(read.accessKeyId, accessKeyId, `the access key of reading ${name}`);
  },
);

Then(
  "the egress service read the sources in {string} under {string} with its own credentials, not the role's",
  async function (this: EgressWorld, bucket: string, prefix: string) {
    const scoped = `${this.expand(bucket)}/${this.key(prefix)}`;
    const reads = (await recordedCalls()).filter(
      (call) => call.service === 'S3' && call.operation === 'GetObject' && call.resource?.startsWith(scoped),
    );
    assert.ok(reads.length > 0, `no GetObject under s3://${scoped} was recorded`);
    const own = this.target.state.aws.accessKeyId;
    for (const read of reads)
      assert.equal(read.accessKeyId, own, `the access key of reading ${read.resource}`);
  },
);
