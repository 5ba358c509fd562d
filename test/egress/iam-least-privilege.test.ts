import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AWS_CALL_LOG_VARIABLE, OWN_ROLE, type RecordedAwsCall } from '../../src/aws/call-recorder.ts';
import {
  checkAwsCalls,
  formatIamCheck,
  IamPolicyError,
  iamActionsFor,
  loadIamPolicy,
  parseIamPolicy,
  parseRecordedCalls,
} from '../../src/aws/iam/index.ts';
import { resolveEgressServiceConfig } from '../../src/egress/config/service-config.ts';
import { createDksEgressCrypto, type OwnedEgressCrypto } from '../../src/egress/crypto/index.ts';
import { missingResources } from '../../src/egress/preflight.ts';
import { waitFor } from '../../src/util/wait.ts';
import { CryptoHarness, recipient } from './crypto/support/crypto-harness.ts';

const POLICY_FILE = path.resolve('config/iam/egress-task-role.yml');
const ROLE = 'arn:aws:iam::123456789012:role/rtg-egress';

const call = (service: string, operation: string, extra: Partial<RecordedAwsCall> = {}): RecordedAwsCall => ({
  caller: 'egress-service',
  principal: OWN_ROLE,
  service,
  operation,
  ...extra,
});

describe('SDK operation → IAM actions', () => {
  it.each([
    [call('S3', 'GetObject'), ['s3:GetObject']],
    [call('S3', 'HeadObject'), ['s3:GetObject']],
    [call('S3', 'ListObjectsV2'), ['s3:ListBucket']],
    [call('S3', 'PutObject'), ['s3:PutObject']],
    [call('S3', 'PutObject', { acl: 'bucket-owner-full-control' }), ['s3:PutObject', 's3:PutObjectAcl']],
    [
      call('S3', 'CreateMultipartUpload', { acl: 'bucket-owner-full-control' }),
      ['s3:PutObject', 's3:PutObjectAcl'],
    ],
    [call('S3', 'UploadPart'), ['s3:PutObject']],
    [call('S3', 'CompleteMultipartUpload'), ['s3:PutObject']],
    [call('S3', 'AbortMultipartUpload'), ['s3:AbortMultipartUpload']],
    [call('SQS', 'DeleteMessageBatch'), ['sqs:DeleteMessage']],
    [call('SQS', 'ChangeMessageVisibilityBatch'), ['sqs:ChangeMessageVisibility']],
    [call('SQS', 'ReceiveMessage'), ['sqs:ReceiveMessage']],
    [call('DynamoDB', 'Scan'), ['dynamodb:Scan']],
    [call('DynamoDB', 'DescribeTable'), ['dynamodb:DescribeTable']],
    [call('SSM', 'GetParameter'), ['ssm:GetParameter']],
    [call('STS', 'AssumeRole'), ['sts:AssumeRole']],
  ])('%j needs %j', (recorded, actions) => {
    expect(iamActionsFor(recorded)).toEqual(actions);
  });
});

describe('the least-privilege check against config/iam/egress-task-role.yml', () => {
  it('allows what the original role allows, reports features beyond it, denies the rest', async () => {
    const policy = await loadIamPolicy(POLICY_FILE);
    const check = checkAwsCalls(
      [
        call('DynamoDB', 'Scan'),
        call('SQS', 'ReceiveMessage'),
        call('S3', 'CreateMultipartUpload', { acl: 'bucket-owner-full-control' }),
        call('STS', 'AssumeRole'),
        call('S3', 'PutObject', { principal: ROLE, acl: 'bucket-owner-full-control' }),
        call('SSM', 'GetParameter', { principal: ROLE }),
        call('SQS', 'SendMessage'),
        call('SSM', 'GetParameter'),
        call('DynamoDB', 'DescribeTable'),
        call('S3', 'GetObject', { principal: ROLE }),
      ],
      policy,
    );
    const verdicts = Object.fromEntries(check.uses.map((use) => [`${use.role} ${use.action}`, use.verdict]));
    expect(verdicts).toEqual({
      'assumed-role s3:GetObject': 'denied', // sources are always read with the service's own role
      'assumed-role s3:PutObject': 'allowed',
      'assumed-role s3:PutObjectAcl': 'allowed',
      'assumed-role ssm:GetParameter': 'allowed',
      'task-role dynamodb:DescribeTable': 'denied',
      'task-role dynamodb:Scan': 'allowed',
      'task-role s3:PutObject': 'allowed',
      'task-role s3:PutObjectAcl': 'allowed',
      'task-role sqs:ReceiveMessage': 'allowed',
      'task-role sqs:SendMessage': 'beyond-the-original',
      'task-role ssm:GetParameter': 'beyond-the-original',
      'task-role sts:AssumeRole': 'allowed',
    });
    expect(check.denied.map((use) => use.action)).toEqual(['s3:GetObject', 'dynamodb:DescribeTable']);
    const report = formatIamCheck(check, 'egress-task-role.yml');
    expect(report).toContain('2 action(s) OUTSIDE');
    expect(report).toMatch(
      /✗ DENIED\s+task-role\s+dynamodb:DescribeTable\s+1 call\(s\)\s+DynamoDB:DescribeTable/,
    );
  });

  it('wildcards in the policy match (kms:GenerateDataKey*)', async () => {
    const policy = await loadIamPolicy(POLICY_FILE);
    expect(checkAwsCalls([call('KMS', 'GenerateDataKeyWithoutPlaintext')], policy).denied).toEqual([]);
    expect(checkAwsCalls([call('KMS', 'CreateKey')], policy).denied).toHaveLength(1);
  });

  it.each([
    [{}, /roles: /],
    [{ roles: { 'task-role': { allow: {} } } }, /roles\.assumed-role is missing/],
    [{ roles: { 'task-role': { allow: { s3: ['Get Object'] } }, 'assumed-role': { allow: {} } } }, /s3\.0/],
    [
      {
        roles: { 'task-role': { allow: {} }, 'assumed-role': { allow: {} } },
        beyondTheOriginal: [{ action: 'x' }],
      },
      /beyondTheOriginal\.0\.action/,
    ],
  ])('refuses a malformed policy %j, naming the field', (document, problem) => {
    expect(() => parseIamPolicy(document, 'p.yml')).toThrow(IamPolicyError);
    expect(() => parseIamPolicy(document, 'p.yml')).toThrow(problem);
  });

  it('names the line of a recorded-calls file that is not a call', () => {
    expect(() =>
      parseRecordedCalls('{"service":"S3","operation":"GetObject"}\nnot json\n', 'calls.ndjson'),
    ).toThrow(/calls\.ndjson: line 2/);
  });
});

describe('recording the egress service’s AWS calls (EGRESS_AWS_CALL_LOG)', () => {
  let harness: CryptoHarness;
  let owned: OwnedEgressCrypto;
  let dir: string;
  let log: string;
  beforeAll(async () => {
    harness = await CryptoHarness.start();
    owned = await createDksEgressCrypto(harness.dksConfig);
    dir = await mkdtemp(path.join(os.tmpdir(), 'iam-calls-'));
  });
  afterAll(async () => {
    await owned?.close();
    await harness?.close();
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    delete process.env[AWS_CALL_LOG_VARIABLE];
  });

  async function recorded(): Promise<RecordedAwsCall[]> {
    return parseRecordedCalls(await readFile(log, 'utf8').catch(() => ''), log);
  }

  it('the start-up preflight makes only calls the original task role allows (Scan, not DescribeTable)', async () => {
    const world = await harness.base.world();
    log = path.join(dir, 'preflight.ndjson');
    await writeFile(log, '');
    process.env[AWS_CALL_LOG_VARIABLE] = log;
    const config = resolveEgressServiceConfig({
      aws: harness.base.edge.target,
      queueUrl: world.queueUrl,
      table: world.table,
      metricsPort: 0,
    });
    expect(await missingResources(config)).toEqual([]);
    expect(await missingResources({ ...config, table: 'no-such-table' })).toEqual([
      'EGRESS_TABLE: the table no-such-table does not exist',
    ]);
    const calls = await recorded();
    expect(calls.map((c) => `${c.service}:${c.operation}`)).toEqual([
      'SQS:GetQueueAttributes',
      'DynamoDB:Scan',
      'SQS:GetQueueAttributes',
      'DynamoDB:Scan',
    ]);
    expect(checkAwsCalls(calls, await loadIamPolicy(POLICY_FILE)).denied).toEqual([]);
  });

  it('a delivery with role_arn, re-wrap, control file and manifest: every call labelled by its principal and within the roles', async () => {
    const base = harness.base;
    const world = await base.world();
    const [source, destination] = await Promise.all([base.bucket('source'), base.bucket('destination')]);
    const parameter = `/${world.table}/recipient`;
    await harness.putParameter(parameter, recipient('recipient-key').parameterValue);
    await base.putRule(world, {
      source_prefix: 'rtg/',
      pipeline_name: 'RTG',
      transfer_type: 'S3',
      source_bucket: source,
      destination_bucket: destination,
      destination_prefix: 'rtg/',
      rewrap_datakey: true,
      encrypting_key_ssm_parm_name: parameter,
      role_arn: ROLE,
      control_file_prefix: 'rtg.control',
      manifest_file_name: 'rtg-manifest.csv',
    });
    const dataKey = await harness.dataKey();
    const object = await harness.htme(Buffer.from('row\n'.repeat(100)), {}, dataKey);
    await base.putObject(source, 'rtg/part-0.csv.enc', object.body, object.metadata);

    log = path.join(dir, 'delivery.ndjson');
    await writeFile(log, '');
    process.env[AWS_CALL_LOG_VARIABLE] = log;
    const { events, service } = await base.startService(world, {}, { crypto: owned.crypto });
    await base.sendFlag(world, 'rtg/pipeline_success.flag', source);
    await waitFor(() => events.of('message_processed').some((event) => event.reason === 'completed'), {
      timeoutMs: 20_000,
    });
    await service.stop();

    const calls = await recorded();
    const byPrincipal = (principal: string) =>
      [
        ...new Set(calls.filter((c) => c.principal === principal).map((c) => `${c.service}:${c.operation}`)),
      ].sort();
    expect(byPrincipal(ROLE)).toEqual(['S3:PutObject', 'SSM:GetParameter']);
    expect(byPrincipal(OWN_ROLE)).toEqual(
      expect.arrayContaining([
        'DynamoDB:Scan',
        'S3:GetObject',
        'S3:ListObjectsV2',
        'SQS:DeleteMessage',
        'SQS:ReceiveMessage',
        'STS:AssumeRole',
      ]),
    );
    // The label matches the credentials really used: the role's assumed key, the service's own key.
    const roleKey = base.edge.assumedRoles().find((role) => role.roleArn === ROLE)?.accessKeyId;
    expect(roleKey).toBeDefined();
    expect(new Set(calls.filter((c) => c.principal === ROLE).map((c) => c.accessKeyId))).toEqual(
      new Set([roleKey]),
    );
    expect(new Set(calls.filter((c) => c.principal === OWN_ROLE).map((c) => c.accessKeyId))).toEqual(
      new Set(['test']),
    );
    // Every write through the role carries the canned ACL (data, control file, manifest).
    const writes = calls.filter((c) => c.principal === ROLE && c.service === 'S3');
    expect(writes).toHaveLength(3);
    expect(new Set(writes.map((c) => c.acl))).toEqual(new Set(['bucket-owner-full-control']));
    const check = checkAwsCalls(calls, await loadIamPolicy(POLICY_FILE));
    expect(formatIamCheck(check, POLICY_FILE)).toContain('all within');
    expect(check.denied).toEqual([]);
  });
});
