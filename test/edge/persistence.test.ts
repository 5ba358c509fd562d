/**
 * The edge's state across a restart (`persistDir`, the sandbox's `--persist`), from the outside:
 * everything is written and read back through the real AWS SDK against two edge processes' worth
 * of lifetimes on one directory (each on a new free port, so queue URLs move).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  CreateTableCommand,
  PutItemCommand,
  ScanCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  CopyObjectCommand,
  GetBucketNotificationConfigurationCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { Upload } from '@aws-sdk/lib-storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBucket } from '../../src/aws/buckets.ts';
import {
  createDynamoClient,
  createS3Client,
  createSqsClient,
  createSsmClient,
} from '../../src/aws/clients.ts';
import { type Edge, EdgeSnapshotError, startEdge } from '../../src/edge/index.ts';
import { rebaseQueueUrl } from '../../src/edge/persistence/sqs-snapshot.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'edge-persist-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

function clients(edge: Edge) {
  return {
    s3: createS3Client(edge.target),
    sqs: createSqsClient(edge.target),
    ssm: createSsmClient(edge.target),
    dynamo: createDynamoClient(edge.target),
    destroy() {
      this.s3.destroy();
      this.sqs.destroy();
      this.ssm.destroy();
      this.dynamo.destroy();
    },
  };
}

async function body(s3: ReturnType<typeof createS3Client>, bucket: string, key: string): Promise<Buffer> {
  const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await Body!.transformToByteArray());
}

describe('rebaseQueueUrl', () => {
  it.each([
    [
      'http://sqs.eu-west-2.localhost:4566/000000000000/q',
      41234,
      'http://sqs.eu-west-2.localhost:41234/000000000000/q',
    ],
    [
      'http://sqs.eu-west-2.localhost:4566/000000000000/q',
      4566,
      'http://sqs.eu-west-2.localhost:4566/000000000000/q',
    ],
    [
      'http://sqs.us-east-1.localhost/000000000000/a.fifo',
      9000,
      'http://sqs.us-east-1.localhost:9000/000000000000/a.fifo',
    ],
  ])('%s on port %d', (url, port, expected) => {
    expect(rebaseQueueUrl(url, port)).toBe(expected);
  });
});

describe('an edge with persistDir', () => {
  const small = randomBytes(1000); // kept in memory while running
  const large = randomBytes(600 * 1024); // kept in a file
  const parts = randomBytes(11 * 1024 * 1024); // two parts of a multipart upload

  it('keeps buckets, objects, queues with their messages, tables, parameters and notifications across a restart', async () => {
    const persistDir = path.join(dir, 'state');
    const first = await startEdge({ port: 0, persistDir });
    expect(first.restored).toMatchObject({ savedAt: undefined, buckets: 0, objects: 0, queues: 0 });
    // Health (and so `egress status`) says where the tables are: on disk, not in memory.
    expect((await first.health()).details.dynamodb?.detail).toBe(
      `tables on disk in ${path.join(persistDir, 'dynamodb')}`,
    );
    const a = clients(first);
    await createBucket(a.s3, 'kept');
    await a.s3.send(
      new PutObjectCommand({
        Bucket: 'kept',
        Key: 'small.txt',
        Body: small,
        Metadata: { iv: 'abc' },
        ContentType: 'text/plain',
      }),
    );
    await a.s3.send(new PutObjectCommand({ Bucket: 'kept', Key: 'dir with space/large.bin', Body: large }));
    await new Upload({
      client: a.s3,
      params: { Bucket: 'kept', Key: 'parts.bin', Body: parts },
      partSize: 5.5 * 1024 * 1024,
    }).done();
    await a.s3.send(new CopyObjectCommand({ Bucket: 'kept', Key: 'copy.bin', CopySource: 'kept/parts.bin' }));
    const etags = {
      small: (await a.s3.send(new HeadObjectCommand({ Bucket: 'kept', Key: 'small.txt' }))).ETag,
      parts: (await a.s3.send(new HeadObjectCommand({ Bucket: 'kept', Key: 'parts.bin' }))).ETag,
    };
    expect(etags.parts).toMatch(/-2"$/);

    const dlq = await a.sqs.send(new CreateQueueCommand({ QueueName: 'kept-dlq' }));
    const dlqArn = (
      await a.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }),
      )
    ).Attributes!.QueueArn!;
    const queue = await a.sqs.send(
      new CreateQueueCommand({
        QueueName: 'kept-queue',
        Attributes: {
          VisibilityTimeout: '30',
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 3 }),
        },
      }),
    );
    const queueArn = (
      await a.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] }),
      )
    ).Attributes!.QueueArn!;
    await a.s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: 'kept',
        NotificationConfiguration: {
          QueueConfigurations: [
            {
              Id: 'flags',
              QueueArn: queueArn,
              Events: ['s3:ObjectCreated:*'],
              Filter: { Key: { FilterRules: [{ Name: 'suffix', Value: '.flag' }] } },
            },
          ],
        },
      }),
    );
    // The configuration sends S3's test event: taken off so the counts below are the test's own.
    const test = await a.sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl }));
    expect(JSON.parse(test.Messages![0]!.Body!).Event).toBe('s3:TestEvent');
    await a.sqs.send(
      new DeleteMessageCommand({ QueueUrl: queue.QueueUrl, ReceiptHandle: test.Messages![0]!.ReceiptHandle }),
    );
    for (const text of ['one', 'two', 'three']) {
      await a.sqs.send(new SendMessageCommand({ QueueUrl: queue.QueueUrl, MessageBody: text }));
    }
    // 'one' is received (in flight) when the edge stops: it must come back, its receive counted.
    const received = await a.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl, MaxNumberOfMessages: 1 }),
    );
    expect(received.Messages?.[0]?.Body).toBe('one');
    await a.sqs.send(new SendMessageCommand({ QueueUrl: dlq.QueueUrl, MessageBody: 'dead' }));
    await a.ssm.send(new PutParameterCommand({ Name: '/egress/key', Value: 'secret', Type: 'SecureString' }));
    await a.ssm.send(new PutParameterCommand({ Name: '/egress/key', Value: 'secret-2', Overwrite: true }));
    await a.dynamo.send(
      new CreateTableCommand({
        TableName: 'kept-table',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    // A new table is CREATING until its status is written; on disk (persistDir) that write can lose
    // the race with the next request, as on AWS: wait for ACTIVE, as a real client must.
    await waitUntilTableExists(
      { client: a.dynamo, maxWaitTime: 30, minDelay: 1, maxDelay: 1 },
      { TableName: 'kept-table' },
    );
    await a.dynamo.send(
      new PutItemCommand({ TableName: 'kept-table', Item: { id: { S: 'row-1' }, n: { N: '7' } } }),
    );
    a.destroy();
    await first.stop();

    const second = await startEdge({ port: 0, persistDir });
    const b = clients(second);
    try {
      expect(second.restored).toMatchObject({
        savedAt: expect.any(String),
        buckets: 1,
        objects: 4,
        droppedObjects: [],
        queues: 2,
        parameters: 1,
        notifications: 1,
      });
      const { Buckets } = await b.s3.send(new ListBucketsCommand({}));
      expect(Buckets?.map((bucket) => bucket.Name)).toEqual(['kept']);
      expect(sha(await body(b.s3, 'kept', 'small.txt'))).toBe(sha(small));
      expect(sha(await body(b.s3, 'kept', 'dir with space/large.bin'))).toBe(sha(large));
      expect(sha(await body(b.s3, 'kept', 'parts.bin'))).toBe(sha(parts));
      expect(sha(await body(b.s3, 'kept', 'copy.bin'))).toBe(sha(parts));
      const head = await b.s3.send(new HeadObjectCommand({ Bucket: 'kept', Key: 'small.txt' }));
      expect(head).toMatchObject({ ETag: etags.small, Metadata: { iv: 'abc' }, ContentType: 'text/plain' });
      expect((await b.s3.send(new HeadObjectCommand({ Bucket: 'kept', Key: 'parts.bin' }))).ETag).toBe(
        etags.parts,
      );

      const { QueueUrl } = await b.sqs.send(new GetQueueUrlCommand({ QueueName: 'kept-queue' }));
      expect(QueueUrl).toBe(`http://sqs.eu-west-2.localhost:${second.port}/000000000000/kept-queue`);
      const attributes = (
        await b.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }))
      ).Attributes!;
      expect(attributes).toMatchObject({ VisibilityTimeout: '30', ApproximateNumberOfMessages: '3' });
      expect(JSON.parse(attributes.RedrivePolicy!)).toEqual({
        deadLetterTargetArn: dlqArn,
        maxReceiveCount: 3,
      });
      const again = await b.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl,
          MaxNumberOfMessages: 10,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
      const counts = Object.fromEntries(
        (again.Messages ?? []).map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount]),
      );
      expect(counts).toEqual({ one: '2', two: '1', three: '1' });
      const dead = await b.sqs.send(new GetQueueUrlCommand({ QueueName: 'kept-dlq' }));
      const deadMessages = await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: dead.QueueUrl }));
      expect(deadMessages.Messages?.map((m) => m.Body)).toEqual(['dead']);

      const parameter = await b.ssm.send(
        new GetParameterCommand({ Name: '/egress/key', WithDecryption: true }),
      );
      expect(parameter.Parameter).toMatchObject({ Value: 'secret-2', Type: 'SecureString', Version: 2 });
      const items = await b.dynamo.send(new ScanCommand({ TableName: 'kept-table' }));
      expect(items.Items).toEqual([{ id: { S: 'row-1' }, n: { N: '7' } }]);

      const notification = await b.s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: 'kept' }));
      expect(notification.QueueConfigurations?.[0]).toMatchObject({ Id: 'flags', QueueArn: queueArn });
      // Still delivered after the restart, and no second test event.
      await b.s3.send(
        new PutObjectCommand({ Bucket: 'kept', Key: 'x/pipeline.flag', Body: Buffer.alloc(0) }),
      );
      const event = await b.sqs.send(
        new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 5, VisibilityTimeout: 0 }),
      );
      const bodies = (event.Messages ?? []).map((m) => JSON.parse(m.Body!));
      expect(bodies.some((b) => b.Event === 's3:TestEvent')).toBe(false);
      expect(bodies.find((b) => b.Records)?.Records[0].s3.object.key).toBe('x/pipeline.flag');
    } finally {
      b.destroy();
      await second.stop();
    }
  });

  it('leaves out, with a warning, an object whose body a killed run deleted after the snapshot; bodies nothing refers to are removed', async () => {
    const persistDir = path.join(dir, 'killed');
    const first = await startEdge({ port: 0, persistDir });
    const a = clients(first);
    await createBucket(a.s3, 'bodies-bucket');
    await a.s3.send(new PutObjectCommand({ Bucket: 'bodies-bucket', Key: 'gone.bin', Body: large }));
    await a.s3.send(new PutObjectCommand({ Bucket: 'bodies-bucket', Key: 'kept.bin', Body: small }));
    a.destroy();
    await first.stop();
    const snapshot = JSON.parse(await readFile(path.join(persistDir, 'edge.json'), 'utf8'));
    const gone = snapshot.s3[0].objects.find((o: { key: string }) => o.key === 'gone.bin').blobs[0].file;
    const blobs = path.join(persistDir, 's3', 'blobs');
    await unlink(path.join(blobs, gone));
    await writeFile(path.join(blobs, 'orphan-from-a-killed-run'), 'x');

    const second = await startEdge({ port: 0, persistDir });
    const b = clients(second);
    try {
      expect(second.restored).toMatchObject({
        objects: 1,
        droppedObjects: [{ bucket: 'bodies-bucket', key: 'gone.bin' }],
      });
      expect(sha(await body(b.s3, 'bodies-bucket', 'kept.bin'))).toBe(sha(small));
      expect(await readdir(blobs)).not.toContain('orphan-from-a-killed-run');
    } finally {
      b.destroy();
      await second.stop();
    }
  });

  it('refuses a snapshot it cannot read, naming the file and the way out', async () => {
    const persistDir = path.join(dir, 'corrupt');
    const first = await startEdge({ port: 0, persistDir });
    await first.stop();
    const file = path.join(persistDir, 'edge.json');
    const snapshot = JSON.parse(await readFile(file, 'utf8'));
    await writeFile(file, JSON.stringify({ ...snapshot, sqs: [{ name: 'q' }] }));
    const error = await startEdge({ port: 0, persistDir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EdgeSnapshotError);
    expect((error as Error).message).toMatch(
      /edge\.json cannot be restored: sqs\.0\.url: .*npx egress reset/,
    );
    await writeFile(file, '{');
    expect(String(await startEdge({ port: 0, persistDir }).catch((e: unknown) => e))).toMatch(/not JSON/);
  });

  it('without persistDir nothing survives (the default: a fresh start)', async () => {
    const s3StorageDir = path.join(dir, 'fresh-s3');
    const first = await startEdge({ port: 0, s3StorageDir });
    const a = clients(first);
    await createBucket(a.s3, 'temporary');
    a.destroy();
    await first.stop();
    const second = await startEdge({ port: 0, s3StorageDir });
    const b = clients(second);
    try {
      expect(second.restored).toBeUndefined();
      expect((await b.s3.send(new ListBucketsCommand({}))).Buckets ?? []).toEqual([]);
    } finally {
      b.destroy();
      await second.stop();
    }
  });
});
