import { createHash } from 'node:crypto';
import http from 'node:http';
import { PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { DeleteParameterCommand, GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { Upload } from '@aws-sdk/lib-storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBucket } from '../../src/aws/buckets.ts';
import { createRoutingTable } from '../../src/aws/provisioning/routing-table.ts';
import { EdgePortInUseError, startEdge } from '../../src/edge/index.ts';
import { startTestKit, type TestKit, uniqueName } from '../../src/testing/index.ts';

let t: TestKit;
beforeAll(async () => {
  t = await startTestKit();
});
afterAll(async () => {
  await t.stop();
});

async function newBucket(): Promise<string> {
  const bucket = uniqueName('b');
  await createBucket(t.clients.s3, bucket);
  return bucket;
}

describe('S3 through the edge', () => {
  it('keeps user metadata (the HTME envelope) and keys with leading or doubled slashes', async () => {
    const bucket = await newBucket();
    const metadata = {
      iv: 'AAAAAAAAAAAAAAAAAAAAAA==',
      ciphertext: 'wrapped',
      datakeyencryptionkeyid: 'key:1',
    };
    for (const key of ['/dataworks-data-egress/sft/sft.csv', 'a//b.csv', 'dir with space/ü.csv']) {
      await t.clients.s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'body', Metadata: metadata }),
      );
      const head = await t.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect(head.Metadata).toEqual(metadata);
      const got = await t.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      expect(await got.Body!.transformToString()).toBe('body');
    }
  });

  it('streams a 64 MiB multipart upload and reads it back intact', async () => {
    const bucket = await newBucket();
    const body = Buffer.alloc(64 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4096) body.writeUInt32BE(i, i);
    const upload = new Upload({
      client: t.clients.s3,
      params: { Bucket: bucket, Key: 'big.bin', Body: body },
      partSize: 8 * 1024 * 1024,
      queueSize: 4,
    });
    const result = await upload.done();
    expect(result.ETag).toMatch(/-8"$/);
    const got = await t.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'big.bin' }));
    const hash = createHash('sha256');
    for await (const chunk of got.Body as AsyncIterable<Buffer>) hash.update(chunk);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
  });

  it('pages ListObjectsV2 over 1,100 keys', async () => {
    const bucket = await newBucket();
    const keys = Array.from({ length: 1100 }, (_, i) => `p/${String(i).padStart(5, '0')}.csv`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(
        keys
          .slice(i, i + 50)
          .map((Key) => t.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'x' }))),
      );
    }
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await t.clients.s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: 'p/', ContinuationToken: token }),
      );
      seen.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.NextContinuationToken;
      pages++;
    } while (token);
    expect(pages).toBe(2);
    expect(seen).toEqual(keys);
  });

  it('answers a single PUT over 11 MiB with EntityTooLarge and a hint to use multipart', async () => {
    const bucket = await newBucket();
    await expect(
      t.clients.s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: 'too-big', Body: Buffer.alloc(12 * 1024 * 1024) }),
      ),
    ).rejects.toMatchObject({ name: 'EntityTooLarge', message: expect.stringContaining('multipart') });
    const again = await t.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'small', Body: 'ok' }));
    expect(again.ETag).toBeDefined();
  });

  it('survives clients that hang up mid-download (more than a socket pool of aborted GETs)', async () => {
    const bucket = await newBucket();
    await new Upload({
      client: t.clients.s3,
      params: { Bucket: bucket, Key: 'blob', Body: Buffer.alloc(9 * 1024 * 1024, 7) },
    }).done();
    const url = new URL(`/${bucket}/blob`, t.edge.endpoint);
    for (let i = 0; i < 80; i++) {
      await new Promise<void>((resolve) => {
        const req = http.get(url, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', () => resolve());
      });
    }
    const controller = new AbortController();
    const aborted = await t.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'blob' }), {
      abortSignal: controller.signal,
    });
    controller.abort();
    (aborted.Body as NodeJS.ReadableStream & { destroy(): void }).destroy();
    const got = await t.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'blob' }));
    expect((await got.Body!.transformToByteArray()).length).toBe(9 * 1024 * 1024);
  });
});

describe('SQS through the edge', () => {
  it('moves a message to the dead-letter queue after maxReceiveCount receives', async () => {
    const dlq = await t.clients.sqs.send(new CreateQueueCommand({ QueueName: uniqueName('dlq') }));
    const dlqArn = (
      await t.clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }),
      )
    ).Attributes!.QueueArn!;
    const queue = await t.clients.sqs.send(
      new CreateQueueCommand({
        QueueName: uniqueName('work'),
        Attributes: {
          VisibilityTimeout: '1',
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }),
        },
      }),
    );
    await t.clients.sqs.send(new SendMessageCommand({ QueueUrl: queue.QueueUrl, MessageBody: 'poison' }));
    let receives = 0;
    for (let attempt = 0; attempt < 10 && receives < 2; attempt++) {
      const { Messages } = await t.clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl, WaitTimeSeconds: 2 }),
      );
      receives += Messages?.length ?? 0;
    }
    expect(receives).toBe(2);
    // The move happens on the receive after the last allowed one, as on AWS.
    const after = await t.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl, WaitTimeSeconds: 2 }),
    );
    expect(after.Messages ?? []).toHaveLength(0);
    const dead = await t.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlq.QueueUrl, WaitTimeSeconds: 1 }),
    );
    expect(dead.Messages?.[0]?.Body).toBe('poison');
  });

  it('returns a long poll as soon as a message arrives', async () => {
    const queue = await t.clients.sqs.send(new CreateQueueCommand({ QueueName: uniqueName('poll') }));
    const poll = t.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl, WaitTimeSeconds: 10 }),
    );
    await t.clients.sqs.send(new SendMessageCommand({ QueueUrl: queue.QueueUrl, MessageBody: 'hello' }));
    expect((await poll).Messages?.[0]?.Body).toBe('hello');
  });
});

describe('DynamoDB through the edge', () => {
  it('creates the routing table and pages a scan with LastEvaluatedKey', async () => {
    const TableName = uniqueName('data-egress');
    await createRoutingTable(t.clients.dynamo, TableName);
    for (let i = 0; i < 25; i++) {
      await t.clients.dynamo.send(
        new PutItemCommand({
          TableName,
          Item: { source_prefix: { S: `p${i}/` }, pipeline_name: { S: 'P' }, decrypt: { BOOL: true } },
        }),
      );
    }
    let count = 0;
    let pages = 0;
    let start: Record<string, never> | undefined;
    do {
      const page = await t.clients.dynamo.send(
        new ScanCommand({ TableName, Limit: 10, ExclusiveStartKey: start }),
      );
      count += page.Count ?? 0;
      start = page.LastEvaluatedKey as typeof start;
      pages++;
    } while (start);
    expect(count).toBe(25);
    expect(pages).toBeGreaterThanOrEqual(3);
  });
});

describe('SSM Parameter Store through the edge', () => {
  it('stores String and SecureString parameters and hides a SecureString without WithDecryption', async () => {
    const Name = `/egress/${uniqueName('key')}`;
    const value = JSON.stringify({ KeyId: 'k', PublicKey: 'MIIB' });
    await t.clients.ssm.send(new PutParameterCommand({ Name, Value: value, Type: 'SecureString' }));
    const plain = await t.clients.ssm.send(new GetParameterCommand({ Name, WithDecryption: true }));
    expect(plain.Parameter).toMatchObject({ Name, Type: 'SecureString', Value: value, Version: 1 });
    const hidden = await t.clients.ssm.send(new GetParameterCommand({ Name }));
    expect(hidden.Parameter?.Value).not.toBe(value);
    await expect(
      t.clients.ssm.send(new PutParameterCommand({ Name, Value: 'x', Type: 'String' })),
    ).rejects.toMatchObject({
      name: 'ParameterAlreadyExists',
    });
    const overwritten = await t.clients.ssm.send(
      new PutParameterCommand({ Name, Value: 'v2', Type: 'String', Overwrite: true }),
    );
    expect(overwritten.Version).toBe(2);
    await t.clients.ssm.send(new DeleteParameterCommand({ Name }));
    await expect(t.clients.ssm.send(new GetParameterCommand({ Name }))).rejects.toMatchObject({
      name: 'ParameterNotFound',
    });
  });
});

describe('STS AssumeRole through the edge', () => {
  it('returns session credentials and records who assumed what', async () => {
    const RoleArn = 'arn:aws:iam::123456789012:role/rtg-egress';
    const result = await t.clients.sts.send(
      new AssumeRoleCommand({ RoleArn, RoleSessionName: 'data-egress' }),
    );
    expect(result.Credentials?.AccessKeyId).toMatch(/^ASIA/);
    expect(result.Credentials?.SessionToken).toBeTruthy();
    expect(result.AssumedRoleUser?.Arn).toBe('arn:aws:sts::123456789012:assumed-role/rtg-egress/data-egress');
    expect(t.edge.assumedRoles().at(-1)).toMatchObject({ roleArn: RoleArn, sessionName: 'data-egress' });
  });

  it('refuses a malformed role ARN', async () => {
    await expect(
      t.clients.sts.send(new AssumeRoleCommand({ RoleArn: 'not-an-arn', RoleSessionName: 'data-egress' })),
    ).rejects.toMatchObject({ name: 'ValidationError' });
  });
});

describe('edge lifecycle', () => {
  it('reports a port that is already taken', async () => {
    await expect(startEdge({ port: t.edge.port })).rejects.toBeInstanceOf(EdgePortInUseError);
  });

  it('stops cleanly while a long poll is in flight, and frees its port', async () => {
    const edge = await startEdge({ port: 0 });
    const { createSqsClient } = await import('../../src/aws/clients.ts');
    const sqs = createSqsClient(edge.target);
    const queue = await sqs.send(new CreateQueueCommand({ QueueName: 'lifecycle' }));
    const poll = sqs
      .send(new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl, WaitTimeSeconds: 20 }))
      .catch((e) => e);
    const started = Date.now();
    await edge.stop();
    expect(Date.now() - started).toBeLessThan(5000);
    await poll;
    sqs.destroy();
    const again = await startEdge({ port: edge.port });
    await again.stop();
  });
});
