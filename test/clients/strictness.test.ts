import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBucket } from '../../src/aws/buckets.ts';
import { createDynamoClient, createS3Client } from '../../src/aws/clients.ts';
import { createRoutingTable } from '../../src/aws/provisioning/routing-table.ts';
import { type Edge, startEdge } from '../../src/edge/index.ts';
import { uniqueName } from '../../src/testing/index.ts';
import { awsCli, awsCliVersion } from './support.ts';

/*
 * The embedded edge is as strict as AWS where this pipeline meets it (docs/edge.md,
 * "Strictness"): what AWS refuses, the edge refuses with AWS's error code — driven by the AWS CLI.
 */

const version = awsCliVersion();
if (!version) console.log('skipped: no `aws` command on this machine (strictness tests)');

/** Each `aws` invocation starts a Python process (1–3 s on a loaded 2-core machine); tests make several. */
const CLI_TIMEOUTS = { timeout: 180_000 };

describe.skipIf(!version)('the edge refuses what AWS refuses', CLI_TIMEOUTS, () => {
  let edge: Edge;
  let aws: ReturnType<typeof awsCli>;
  let work: string;

  beforeAll(async () => {
    edge = await startEdge({ port: 0 });
    aws = awsCli(edge.endpoint, edge.region);
    work = await mkdtemp(path.join(os.tmpdir(), 'strict-'));
  });
  afterAll(async () => {
    await edge?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function queueArn(name: string): Promise<string> {
    const created = await aws(['sqs', 'create-queue', '--queue-name', name]);
    expect(created.code, created.stderr).toBe(0);
    const url = JSON.parse(created.stdout).QueueUrl as string;
    const attributes = await aws([
      'sqs',
      'get-queue-attributes',
      '--queue-url',
      url,
      '--attribute-names',
      'QueueArn',
    ]);
    return JSON.parse(attributes.stdout).Attributes.QueueArn as string;
  }

  async function putNotification(bucket: string, configuration: object) {
    const file = path.join(work, `${uniqueName('notification')}.json`);
    await writeFile(file, JSON.stringify(configuration));
    return aws([
      's3api',
      'put-bucket-notification-configuration',
      '--bucket',
      bucket,
      '--notification-configuration',
      `file://${file}`,
    ]);
  }

  describe('S3 notification configurations', () => {
    let bucket: string;
    let arn: string;
    beforeAll(async () => {
      bucket = uniqueName('strict');
      await createBucket(createS3Client(edge.target), bucket);
      arn = await queueArn(uniqueName('strict-events'));
    }, 120_000);

    const rule = (queue: string, events: string[], filters: Record<string, string> = {}) => ({
      QueueArn: queue,
      Events: events,
      ...(Object.keys(filters).length
        ? {
            Filter: {
              Key: { FilterRules: Object.entries(filters).map(([Name, Value]) => ({ Name, Value })) },
            },
          }
        : {}),
    });

    it('accepts a valid configuration', async () => {
      const put = await putNotification(bucket, {
        QueueConfigurations: [rule(arn, ['s3:ObjectCreated:*'], { suffix: 'pipeline_success.flag' })],
      });
      expect(put.stderr).toBe('');
      expect(put.code).toBe(0);
    });

    it.each([
      [
        'an unknown event name',
        () => [rule(arn, ['s3:ObjectCreated:put'])],
        'is not supported for notifications',
      ],
      [
        'two rules overlapping on one event type',
        () => [
          rule(arn, ['s3:ObjectCreated:*'], { prefix: 'data/' }),
          rule(arn, ['s3:ObjectCreated:Put'], { suffix: '.flag' }),
        ],
        'Configuration is ambiguously defined',
      ],
      [
        'a queue that does not exist',
        () => [rule(`${arn}-missing`, ['s3:ObjectCreated:*'])],
        'Unable to validate the following destination configurations',
      ],
      [
        'a queue in another region than the bucket',
        () => [rule(arn.replace(`:${edge.region}:`, ':us-west-1:'), ['s3:ObjectCreated:*'])],
        'The notification destination service region is not valid',
      ],
      [
        'a filter rule that is neither prefix nor suffix',
        () => [rule(arn, ['s3:ObjectCreated:*'], { Middle: 'x' })],
        null,
      ],
    ])('refuses %s with InvalidArgument', async (_name, rules, message) => {
      const put = await putNotification(bucket, { QueueConfigurations: rules() });
      expect(put.code).not.toBe(0);
      // The CLI itself refuses a filter name outside its model (prefix|suffix) before sending.
      if (message !== null) {
        expect(put.stderr).toContain('(InvalidArgument)');
        expect(put.stderr).toContain(message);
      }
    });
  });

  describe('SQS attribute names and redrive policies', () => {
    it.each([
      [
        ['--attributes', '{"VisibilityTimeOut":"5"}'],
        'InvalidAttributeName',
        'Unknown Attribute VisibilityTimeOut.',
      ],
      [['--attributes', '{"Bogus":"x"}'], 'InvalidAttributeName', 'Unknown Attribute Bogus.'],
      [
        [
          '--attributes',
          '{"RedrivePolicy":"{\\"deadLetterTargetArn\\":\\"arn:aws:sqs:eu-west-2:000000000000:no-such-dlq\\",\\"maxReceiveCount\\":\\"3\\"}"}',
        ],
        'InvalidParameterValue',
        'Dead letter target does not exist.',
      ],
      [
        [
          '--attributes',
          '{"RedrivePolicy":"{\\"deadLetterTargetArn\\":\\"arn:aws:sqs:eu-west-2:000000000000:x\\"}"}',
        ],
        'InvalidParameterValue',
        'Redrive policy does not contain mandatory attribute: maxReceiveCount.',
      ],
      [
        ['--attributes', '{"RedrivePolicy":"not json"}'],
        'InvalidParameterValue',
        'Redrive policy is not a dict or valid json.',
      ],
    ])('CreateQueue %j → %s', async (args, code, message) => {
      const created = await aws(['sqs', 'create-queue', '--queue-name', uniqueName('strict-q'), ...args]);
      expect(created.code).not.toBe(0);
      expect(created.stderr).toContain(`(${code})`);
      expect(created.stderr).toContain(message);
    });

    it('creates a queue with a redrive policy to a queue that exists', async () => {
      const dlq = await queueArn(uniqueName('strict-dlq'));
      const policy = JSON.stringify({ deadLetterTargetArn: dlq, maxReceiveCount: '3' });
      const created = await aws([
        'sqs',
        'create-queue',
        '--queue-name',
        uniqueName('strict-main'),
        '--attributes',
        JSON.stringify({ RedrivePolicy: policy, VisibilityTimeout: '5' }),
      ]);
      expect(created.stderr).toBe('');
      expect(created.code).toBe(0);
    });

    it('refuses unknown names in GetQueueAttributes and a missing DLQ in SetQueueAttributes', async () => {
      const created = await aws(['sqs', 'create-queue', '--queue-name', uniqueName('strict-get')]);
      const url = JSON.parse(created.stdout).QueueUrl as string;
      const read = await aws([
        'sqs',
        'get-queue-attributes',
        '--queue-url',
        url,
        '--attribute-names',
        'Bogus',
      ]);
      expect(read.code).not.toBe(0);
      expect(read.stderr).toContain('(InvalidAttributeName)');
      const set = await aws([
        'sqs',
        'set-queue-attributes',
        '--queue-url',
        url,
        '--attributes',
        JSON.stringify({
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: `arn:aws:sqs:${edge.region}:000000000000:gone`,
            maxReceiveCount: 2,
          }),
        }),
      ]);
      expect(set.code).not.toBe(0);
      expect(set.stderr).toContain('Dead letter target does not exist.');
    });
  });

  describe('DynamoDB attribute types (dynalite validates them as DynamoDB does)', () => {
    let table: string;
    beforeAll(async () => {
      table = uniqueName('strict-table');
      await createRoutingTable(createDynamoClient(edge.target), table);
    });

    it.each([
      ['a number that is not numeric', { n: { N: 'abc' } }, 'cannot be converted to a numeric value'],
      ['a key of the wrong type', { source_prefix: { N: '1' } }, 'Type mismatch for key'],
      ['a value with two types', { x: { S: '1', N: '1' } }, 'more than one datatypes'],
      ['a string set with duplicates', { ss: { SS: ['a', 'a'] } }, 'contains duplicates'],
      ['an empty key string', { source_prefix: { S: '' } }, 'empty string value'],
    ])('refuses %s with ValidationException', async (_name, attributes, message) => {
      const item = { source_prefix: { S: 'p/' }, pipeline_name: { S: 'P' }, ...attributes };
      const put = await aws(['dynamodb', 'put-item', '--table-name', table, '--item', JSON.stringify(item)]);
      expect(put.code).not.toBe(0);
      expect(put.stderr).toContain('(ValidationException)');
      expect(put.stderr).toContain(message);
    });
  });
});
