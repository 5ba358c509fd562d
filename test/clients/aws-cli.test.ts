import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HeadObjectCommand, PutBucketNotificationConfigurationCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBucket } from '../../src/aws/buckets.ts';
import { createDynamoClient, createS3Client, createSqsClient } from '../../src/aws/clients.ts';
import { createRoutingTable } from '../../src/aws/provisioning/routing-table.ts';
import type { AwsTarget } from '../../src/aws/target.ts';
import { startEdge } from '../../src/edge/index.ts';
import { uniqueName } from '../../src/testing/index.ts';
import { waitFor } from '../../src/util/wait.ts';
import { motoAvailable, useMoto } from '../helpers/moto.ts';
import { awsCli, awsCliVersion, capturingLogger } from './support.ts';

/*
 * The installed AWS CLI (a client this project did not write) against the embedded edge, the way
 * a data engineer drives it: `s3 mb/cp/ls/sync/rm`, `s3api`, `dynamodb`, `sqs`. Every request
 * shape it sends must work; anything the edge answers with a 5xx must be in its log. The same
 * commands run against moto (issue 16 item 6), so both emulators are judged by the same client.
 */

const version = awsCliVersion();
if (!version) console.log('skipped: no `aws` command on this machine (AWS CLI tests)');

/** Each `aws` invocation starts a Python process (1–3 s on a loaded 2-core machine); tests make several. */
const CLI_TIMEOUTS = { timeout: 180_000 };

/** Where the CLI is pointed: an endpoint, and what its server logged as errors (when we can see it). */
interface CliTarget {
  target: AwsTarget & { endpoint: string };
  /** Error lines the server logged; moto's are not ours to read. */
  serverErrors(): Record<string, unknown>[];
  /** Whether bucket names are checked as strictly as S3 does (the embedded edge's promise; moto is laxer). */
  strictBucketNames: boolean;
  stop(): Promise<void>;
}

const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

/** An S3 event's key as written (S3 URL-encodes it, space as `+`; moto encodes `/` too). */
const eventKey = (key: string) => decodeURIComponent(key.replace(/\+/g, ' '));

function cliSuite(start: () => Promise<CliTarget>) {
  let t: CliTarget;
  let aws: ReturnType<typeof awsCli>;
  let work: string;
  let bucket: string;
  let queueUrl: string;

  beforeAll(async () => {
    t = await start();
    aws = awsCli(t.target.endpoint, t.target.region);
    work = await mkdtemp(path.join(os.tmpdir(), 'aws-cli-'));
    bucket = uniqueName('cli');
    const s3 = createS3Client(t.target);
    const sqs = createSqsClient(t.target);
    await createBucket(s3, bucket);
    const created = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('cli-events') }));
    queueUrl = created.QueueUrl!;
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: bucket,
        NotificationConfiguration: {
          QueueConfigurations: [
            {
              QueueArn: Attributes!.QueueArn!,
              Events: ['s3:ObjectCreated:*'],
              Filter: { Key: { FilterRules: [{ Name: 'suffix', Value: 'pipeline_success.flag' }] } },
            },
          ],
        },
      }),
    );
  });

  afterAll(async () => {
    await t?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function objectSize(key: string): Promise<number | undefined> {
    const head = await createS3Client(t.target).send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return head.ContentLength;
  }

  const serverErrors = () => t.serverErrors();

  it('uploads an empty flag with `aws s3 cp`, and its event reaches the queue', async () => {
    const flag = path.join(work, 'empty.flag');
    await writeFile(flag, '');
    const copied = await aws(['s3', 'cp', flag, `s3://${bucket}/x/pipeline_success.flag`]);
    expect(copied.stderr).toBe('');
    expect(copied.code).toBe(0);
    expect(await objectSize('x/pipeline_success.flag')).toBe(0);

    const event = await waitFor(
      async () => {
        const received = await aws([
          'sqs',
          'receive-message',
          '--queue-url',
          queueUrl,
          '--max-number-of-messages',
          '10',
          '--wait-time-seconds',
          '1',
        ]);
        expect(received.code).toBe(0);
        if (!received.stdout.trim()) return undefined;
        const messages = (JSON.parse(received.stdout) as { Messages?: { Body: string }[] }).Messages ?? [];
        return messages
          .map(
            (m) =>
              JSON.parse(m.Body) as {
                Records?: { eventName: string; s3: { object: { key: string; size: number } } }[];
              },
          )
          .find((body) => eventKey(body.Records?.[0]?.s3.object.key ?? '') === 'x/pipeline_success.flag');
      },
      { timeoutMs: 20_000, description: 'the flag event through `aws sqs receive-message`' },
    );
    expect(event.Records![0]!.eventName).toBe('ObjectCreated:Put');
    expect(event.Records![0]!.s3.object.size).toBe(0);
    expect(serverErrors()).toEqual([]);
  });

  it('stores an object `aws s3api put-object` sends without a body', async () => {
    const put = await aws(['s3api', 'put-object', '--bucket', bucket, '--key', 'no-body/marker']);
    expect(put.stderr).toBe('');
    expect(put.code).toBe(0);
    expect(await objectSize('no-body/marker')).toBe(0);
  });

  it('syncs a directory, lists it recursively, and removes it recursively', async () => {
    const local = path.join(work, 'sync');
    await mkdir(path.join(local, 'sub dir'), { recursive: true });
    const files: Record<string, string> = {
      'a.csv': 'a,b\n1,2\n',
      'empty.txt': '',
      'plus+and space.txt': 'plus',
      'sub dir/ü.json': '{"x":1}',
      'no-extension': 'raw',
    };
    // An hour old: sync re-uploads a file whose local time is later than the object's LastModified,
    // which S3 and moto list in whole seconds, so a file written in the second of its upload would
    // look newer and the second sync below would not be empty.
    const anHourAgo = new Date(Date.now() - 3_600_000);
    for (const [name, body] of Object.entries(files)) {
      await writeFile(path.join(local, name), body);
      await utimes(path.join(local, name), anHourAgo, anHourAgo);
    }

    const synced = await aws(['s3', 'sync', '--only-show-errors', local, `s3://${bucket}/sync/`]);
    expect(synced.stderr).toBe('');
    expect(synced.code).toBe(0);

    const listed = await aws(['s3', 'ls', '--recursive', `s3://${bucket}/sync/`]);
    expect(listed.code).toBe(0);
    const sizes = Object.fromEntries(
      listed.stdout
        .trim()
        .split('\n')
        .map((line) => /^\S+ \S+\s+(\d+) (.*)$/.exec(line)!)
        .map((m) => [m[2], Number(m[1])]),
    );
    expect(sizes).toEqual(
      Object.fromEntries(
        Object.entries(files).map(([name, body]) => [`sync/${name}`, Buffer.byteLength(body)]),
      ),
    );

    // A second sync finds nothing to do: sizes and times agree.
    const again = await aws(['s3', 'sync', '--dryrun', local, `s3://${bucket}/sync/`]);
    expect(again.stdout.trim()).toBe('');

    for (const [name, body] of Object.entries(files)) {
      const read = await aws(['s3', 'cp', `s3://${bucket}/sync/${name}`, '-']);
      expect(read.code).toBe(0);
      expect(read.stdout).toBe(body);
    }

    const removed = await aws(['s3', 'rm', '--recursive', '--only-show-errors', `s3://${bucket}/sync/`]);
    expect(removed.stderr).toBe('');
    expect(removed.code).toBe(0);
    const after = await aws(['s3', 'ls', '--recursive', `s3://${bucket}/sync/`]);
    expect(after.stdout.trim()).toBe('');
    expect(serverErrors()).toEqual([]);
  });

  it('uploads a file over the CLI multipart threshold in parts and reads it back intact', async () => {
    const big = path.join(work, 'big.bin');
    const body = randomBytes(20 * 1024 * 1024 + 123);
    await writeFile(big, body);
    const up = await aws(['s3', 'cp', '--only-show-errors', big, `s3://${bucket}/big/big.bin`]);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    const head = await createS3Client(t.target).send(
      new HeadObjectCommand({ Bucket: bucket, Key: 'big/big.bin' }),
    );
    expect(head.ETag).toMatch(/-\d+"$/); // a multipart ETag: the CLI used parts
    const down = path.join(work, 'big.copy');
    const fetched = await aws(['s3', 'cp', '--only-show-errors', `s3://${bucket}/big/big.bin`, down]);
    expect(fetched.code).toBe(0);
    const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
    expect(sha(await readFile(down))).toBe(sha(body));
  });

  it('creates buckets as S3 does: `s3 mb` names the region; no or another constraint is refused', async () => {
    const made = uniqueName('mb');
    const mb = await aws(['s3', 'mb', `s3://${made}`]);
    expect(mb.code).toBe(0);
    const location = await aws(['s3api', 'get-bucket-location', '--bucket', made]);
    expect(location.code).toBe(0);
    expect(JSON.parse(location.stdout)).toEqual({ LocationConstraint: t.target.region });

    const unconstrained = await aws(['s3api', 'create-bucket', '--bucket', uniqueName('nolc')]);
    expect(unconstrained.code).not.toBe(0);
    expect(unconstrained.stderr).toContain('IllegalLocationConstraintException');
    expect(unconstrained.stderr).toContain('The unspecified location constraint is incompatible');

    const elsewhere = await aws([
      's3api',
      'create-bucket',
      '--bucket',
      uniqueName('other'),
      '--create-bucket-configuration',
      'LocationConstraint=eu-west-1',
    ]);
    expect(elsewhere.code).not.toBe(0);
    expect(elsewhere.stderr).toContain('IllegalLocationConstraintException');
    expect(elsewhere.stderr).toContain('The eu-west-1 location constraint is incompatible');

    // Names the CLI lets through but S3's naming rules forbid (moto lets some through: not ours to fix).
    for (const name of t.strictBucketNames ? ['xn--punycode-bucket', 'two..periods', '192.168.5.4'] : []) {
      const invalid = await aws([
        's3api',
        'create-bucket',
        '--bucket',
        name,
        '--create-bucket-configuration',
        `LocationConstraint=${t.target.region}`,
      ]);
      expect(invalid.code, name).not.toBe(0);
      expect(invalid.stderr, name).toContain('InvalidBucketName');
    }

    const twice = await aws(['s3', 'mb', `s3://${made}`]);
    expect(twice.code).not.toBe(0);
    expect(twice.stderr).toContain('BucketAlreadyOwnedByYou');
  });

  it('puts and scans DynamoDB items', async () => {
    const table = uniqueName('cli-table');
    await createRoutingTable(createDynamoClient(t.target), table);
    const item = {
      source_prefix: { S: 'dataegress/cli/' },
      pipeline_name: { S: 'CLI' },
      transfer_type: { S: 'S3' },
      decrypt: { BOOL: false },
    };
    const put = await aws(['dynamodb', 'put-item', '--table-name', table, '--item', JSON.stringify(item)]);
    expect(put.stderr).toBe('');
    expect(put.code).toBe(0);
    const scan = await aws(['dynamodb', 'scan', '--table-name', table]);
    expect(scan.code).toBe(0);
    expect((JSON.parse(scan.stdout) as { Items: unknown[] }).Items).toEqual([item]);
  });
}

describe.skipIf(!version)('the AWS CLI against the embedded edge', CLI_TIMEOUTS, () => {
  cliSuite(async () => {
    const log = capturingLogger();
    const edge = await startEdge({ port: 0, logger: log.logger });
    return {
      target: { region: edge.region, endpoint: edge.endpoint, credentials: TEST_CREDENTIALS },
      serverErrors: () => log.lines().filter((line) => Number(line.level) >= 50),
      strictBucketNames: true,
      stop: () => edge.stop(),
    };
  });
});

describe.skipIf(!version || !motoAvailable('the AWS CLI tests on moto'))(
  'the AWS CLI against moto',
  CLI_TIMEOUTS,
  () => {
    const moto = useMoto();
    cliSuite(async () => ({
      target: { region: 'eu-west-2', endpoint: moto().endpoint, credentials: TEST_CREDENTIALS },
      serverErrors: () => [],
      strictBucketNames: false,
      stop: async () => {},
    }));
  },
);
