/**
 * The edge on a worker thread of its own (`startThreadEdge`): the same endpoint and the same
 * EdgeHandle as `startEdge`, seen from the main thread — requests through the SDK, events that
 * cross by message, synchronous answers, errors of the start as their own classes, a thread that
 * dies, and a stop that frees the port.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  GetObjectCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBucket } from '../../src/aws/buckets.ts';
import {
  createDynamoClient,
  createS3Client,
  createSqsClient,
  createStsClient,
} from '../../src/aws/clients.ts';
import { createRoutingTable } from '../../src/aws/provisioning/routing-table.ts';
import {
  type EdgeHandle,
  EdgePortInUseError,
  EdgeSnapshotError,
  EdgeThreadError,
  OriginPolicyError,
  type S3WriteRecord,
  startEdge,
  startThreadEdge,
} from '../../src/edge/index.ts';
import type { NotificationRecord } from '../../src/edge/notifications/notifier.ts';
import { uniqueName } from '../../src/testing/index.ts';
import { waitFor } from '../../src/util/wait.ts';
import { listening } from '../helpers/listening.ts';

let dir: string;
let edge: EdgeHandle;
let logFile: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'thread-edge-'));
  logFile = path.join(dir, 'edge.log');
  edge = await startThreadEdge({ port: 0, s3StorageDir: path.join(dir, 's3'), logFile, logLevel: 'debug' });
});
afterAll(async () => {
  await edge?.stop();
  await rm(dir, { recursive: true, force: true });
});

function clients(target: EdgeHandle['target']) {
  return {
    s3: createS3Client(target),
    sqs: createSqsClient(target),
    dynamo: createDynamoClient(target),
    sts: createStsClient(target),
    destroy() {
      this.s3.destroy();
      this.sqs.destroy();
      this.dynamo.destroy();
      this.sts.destroy();
    },
  };
}

describe('the edge on its own thread', () => {
  it('runs on a thread other than this one and logs there, into the file it was given', async () => {
    expect(edge.threadId).not.toBe(threadId);
    expect(edge.threadId).toBeGreaterThan(0);
    const line = await waitFor(async () => {
      const lines = (await readFile(logFile, 'utf8').catch(() => '')).split('\n').filter(Boolean);
      return lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'edge listening');
    });
    expect(line).toMatchObject({ component: 'edge', endpoint: edge.endpoint, threadId: edge.threadId });
  });

  it('serves S3, SQS and DynamoDB through the SDK', async () => {
    const c = clients(edge.target);
    try {
      const bucket = uniqueName('thread');
      await createBucket(c.s3, bucket);
      await c.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'a/b.txt', Body: 'across threads' }));
      const got = await c.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'a/b.txt' }));
      expect(await got.Body!.transformToString()).toBe('across threads');

      const queue = await c.sqs.send(new CreateQueueCommand({ QueueName: uniqueName('thread') }));
      await c.sqs.send(new SendMessageCommand({ QueueUrl: queue.QueueUrl, MessageBody: 'hello' }));
      const received = await c.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl, WaitTimeSeconds: 5 }),
      );
      expect(received.Messages?.map((m) => m.Body)).toEqual(['hello']);

      const table = uniqueName('thread');
      await createRoutingTable(c.dynamo, table);
      const key = { source_prefix: { S: 'p/' }, pipeline_name: { S: 'P' } };
      await c.dynamo.send(new PutItemCommand({ TableName: table, Item: { ...key, x: { S: 'y' } } }));
      const item = await c.dynamo.send(new GetItemCommand({ TableName: table, Key: key }));
      expect(item.Item?.x).toEqual({ S: 'y' });
    } finally {
      c.destroy();
    }
  });

  it('tells this thread of S3 writes and S3 event notifications, with their dates', async () => {
    const writes: S3WriteRecord[] = [];
    const notifications: NotificationRecord[] = [];
    const stopWrites = edge.onS3Write((record) => writes.push(record));
    const stopNotifications = edge.onNotification((record) => notifications.push(record));
    const c = clients(edge.target);
    try {
      const bucket = uniqueName('events');
      await createBucket(c.s3, bucket);
      const queue = await c.sqs.send(new CreateQueueCommand({ QueueName: uniqueName('events') }));
      const attributes = await c.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] }),
      );
      const queueArn = attributes.Attributes!.QueueArn!;
      await c.s3.send(
        new PutBucketNotificationConfigurationCommand({
          Bucket: bucket,
          NotificationConfiguration: {
            QueueConfigurations: [{ QueueArn: queueArn, Events: ['s3:ObjectCreated:*'] }],
          },
        }),
      );
      await c.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'flag', Body: 'x' }));
      const write = await waitFor(() => writes.find((w) => w.bucket === bucket && w.key === 'flag'));
      expect(write).toMatchObject({ method: 'PUT', status: 200, accessKeyId: 'test' });
      expect(write.at).toBeInstanceOf(Date);
      const notification = await waitFor(() => notifications.find((n) => n.bucket === bucket));
      expect(notification).toMatchObject({ key: 'flag', queueArn, delivered: true });
      expect(notification.at).toBeInstanceOf(Date);
    } finally {
      stopWrites();
      stopNotifications();
      c.destroy();
    }
    const before = writes.length;
    const c2 = clients(edge.target);
    await createBucket(c2.s3, uniqueName('unwatched'));
    c2.destroy();
    expect(writes.length).toBe(before);
  });

  it('answers assumedRoles() and s3Storage() synchronously, up to the last request', async () => {
    const c = clients(edge.target);
    try {
      const roleArn = 'arn:aws:iam::000000000000:role/thread-edge';
      await c.sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'thread-test' }));
      expect(edge.assumedRoles().at(-1)).toMatchObject({ roleArn, sessionName: 'thread-test' });
      expect(edge.assumedRoles().at(-1)?.expiration).toBeInstanceOf(Date);

      const objects = edge.s3Storage().objects;
      const bucket = uniqueName('stats');
      await createBucket(c.s3, bucket);
      await c.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'one', Body: 'x' }));
      expect(edge.s3Storage()).toMatchObject({ objects: objects + 1, directory: path.join(dir, 's3') });
    } finally {
      c.destroy();
    }
  });

  it('serves /_localstack/health with the components this thread contributes', async () => {
    let asked = 0;
    edge.setHealthContributor(async () => {
      asked += 1;
      return { dashboard: { state: 'running', url: 'http://127.0.0.1:1' } };
    });
    const report = await edge.health();
    expect(report.services).toMatchObject({ s3: 'running', sqs: 'running', dynamodb: 'running' });
    expect(report.services.dashboard).toBe('running');
    const served = await (await fetch(`${edge.endpoint}/_localstack/health`)).json();
    expect(served.services.dashboard).toBe('running');
    expect(asked).toBe(2);

    edge.setHealthContributor(async () => {
      throw new Error('the stubs are unreachable');
    });
    expect((await edge.health()).details.sandbox?.detail).toMatch(/the stubs are unreachable/);
  });
});

describe('errors of the start, re-created in this thread', () => {
  it('a taken port is an EdgePortInUseError with its host, port and message', async () => {
    const error = await startThreadEdge({ port: edge.port }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EdgePortInUseError);
    expect(error).toMatchObject({
      name: 'EdgePortInUseError',
      host: '127.0.0.1',
      port: edge.port,
      message: `port ${edge.port} on 127.0.0.1 is already in use`,
    });
    // The in-thread edge says the same.
    const inThread = await startEdge({ port: edge.port }).catch((e: unknown) => e);
    expect((inThread as Error).message).toBe((error as Error).message);
  });

  it('an unreadable snapshot is an EdgeSnapshotError, an unusable host list an OriginPolicyError', async () => {
    const persistDir = path.join(dir, 'corrupt');
    const first = await startThreadEdge({ port: 0, persistDir });
    await first.stop();
    await writeFile(path.join(persistDir, 'edge.json'), '{');
    const snapshot = await startThreadEdge({ port: 0, persistDir }).catch((e: unknown) => e);
    expect(snapshot).toBeInstanceOf(EdgeSnapshotError);
    expect((snapshot as Error).message).toMatch(
      /edge\.json cannot be restored: .*not JSON.*npx egress reset/,
    );

    const policy = await startThreadEdge({ port: 0, allowedHosts: ['http://nope/'] }).catch(
      (e: unknown) => e,
    );
    expect(policy).toBeInstanceOf(OriginPolicyError);
    expect((policy as Error).message).toMatch(/^EGRESS_ALLOWED_HOSTS: "http:\/\/nope\/"/);
  });
});

describe('a thread that dies', () => {
  const failingEntry = new URL('./fixtures/failing-edge-worker.mjs', import.meta.url);

  for (const how of ['throw', 'exit'] as const) {
    it(`by ${how === 'throw' ? 'an uncaught error' : 'process.exit'}: onFailure is told once, and the edge is gone`, async () => {
      process.env.EDGE_FIXTURE_FAILURE = how;
      const failures: EdgeThreadError[] = [];
      try {
        const failing = await startThreadEdge({
          port: 0,
          s3StorageDir: path.join(dir, `failing-${how}`),
          workerEntry: failingEntry,
          onFailure: (error) => failures.push(error),
        });
        expect(await listening(failing.port)).toBe(true);
        // The fixture's thread dies when asked for its health: the question is answered by the failure.
        await expect(failing.health()).rejects.toBeInstanceOf(EdgeThreadError);
        await waitFor(() => failures.length > 0, { description: 'onFailure' });
        expect(failures).toHaveLength(1);
        expect(failures[0]).toBeInstanceOf(EdgeThreadError);
        expect(failures[0]!.message).toMatch(
          how === 'throw'
            ? /^the edge's thread died: the edge thread failed on purpose$/
            : /^the edge's thread died: it exited with code 3$/,
        );
        expect(await listening(failing.port)).toBe(false);
        expect(() => failing.assumedRoles()).toThrow(EdgeThreadError);
        await failing.stop();
        expect(failures).toHaveLength(1);
      } finally {
        delete process.env.EDGE_FIXTURE_FAILURE;
      }
    });
  }
});

describe('stop', () => {
  it('frees the port before it resolves, and is not a failure', async () => {
    const failures: Error[] = [];
    const own = await startThreadEdge({ port: 0, onFailure: (error) => failures.push(error) });
    expect(await listening(own.port)).toBe(true);
    await own.stop();
    expect(await listening(own.port)).toBe(false);
    const again = await startThreadEdge({ port: own.port });
    await again.stop();
    await own.stop();
    expect(failures).toEqual([]);
  });
});
