import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketNotificationConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { Upload } from '@aws-sdk/lib-storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBucket } from '../../src/aws/buckets.ts';
import { startTestKit, type TestKit, uniqueName } from '../../src/testing/index.ts';
import { waitFor } from '../../src/util/wait.ts';

let t: TestKit;
beforeAll(async () => {
  t = await startTestKit();
});
afterAll(async () => {
  await t.stop();
});

async function queueWithArn(): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await t.clients.sqs.send(new CreateQueueCommand({ QueueName: uniqueName('events') }));
  const { Attributes } = await t.clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  return { url: QueueUrl!, arn: Attributes!.QueueArn! };
}

async function receiveAll(url: string, expected: number): Promise<Message[]> {
  const messages: Message[] = [];
  await waitFor(
    async () => {
      const { Messages } = await t.clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      for (const message of Messages ?? []) {
        messages.push(message);
        await t.clients.sqs.send(
          new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle }),
        );
      }
      return messages.length >= expected;
    },
    { timeoutMs: 5000, description: `${expected} messages on ${url}` },
  );
  return messages;
}

async function queueIsEmpty(url: string): Promise<boolean> {
  const { Attributes } = await t.clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Attributes?.ApproximateNumberOfMessages === '0' &&
    Attributes.ApproximateNumberOfMessagesNotVisible === '0'
  );
}

async function bucketNotifying(
  filter: { prefix?: string; suffix?: string } = {},
  events = ['s3:ObjectCreated:*'],
): Promise<{ bucket: string; queue: { url: string; arn: string } }> {
  const bucket = uniqueName('src');
  await createBucket(t.clients.s3, bucket);
  const queue = await queueWithArn();
  const rules = [
    ...(filter.prefix !== undefined ? [{ Name: 'prefix' as const, Value: filter.prefix }] : []),
    ...(filter.suffix !== undefined ? [{ Name: 'suffix' as const, Value: filter.suffix }] : []),
  ];
  await t.clients.s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: bucket,
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            Id: 'flags',
            QueueArn: queue.arn,
            Events: events as never,
            ...(rules.length ? { Filter: { Key: { FilterRules: rules } } } : {}),
          },
        ],
      },
    }),
  );
  const [testEvent] = await receiveAll(queue.url, 1);
  expect(JSON.parse(testEvent!.Body!)).toMatchObject({
    Service: 'Amazon S3',
    Event: 's3:TestEvent',
    Bucket: bucket,
  });
  return { bucket, queue };
}

function firstRecord(message: Message) {
  return JSON.parse(message.Body!).Records[0];
}

describe('S3 bucket notifications to SQS', () => {
  it('sends the standard event for a pipeline_success.flag upload, with the key URL-encoded', async () => {
    const { bucket, queue } = await bucketNotifying({ suffix: 'pipeline_success.flag' });
    const key = 'data egress/ü+x/2026-11-24/pipeline_success.flag';
    await t.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'done' }));
    const [message] = await receiveAll(queue.url, 1);
    const record = firstRecord(message!);
    expect(record).toMatchObject({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'eu-west-2',
      eventName: 'ObjectCreated:Put',
      s3: {
        configurationId: 'flags',
        bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
        object: { key: 'data+egress/%C3%BC%2Bx/2026-11-24/pipeline_success.flag', size: 4 },
      },
    });
    expect(record.s3.object.eTag).toMatch(/^[0-9a-f]{32}$/);
    expect(new Date(record.eventTime).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '))).toBe(key);
  });

  it('sends nothing when the prefix or suffix filter does not match', async () => {
    const { bucket, queue } = await bucketNotifying({ prefix: 'in/', suffix: 'pipeline_success.flag' });
    await t.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'in/data.csv', Body: 'x' }));
    await t.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'out/pipeline_success.flag', Body: 'x' }),
    );
    await t.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'in/pipeline_success.flag', Body: 'x' }),
    );
    const messages = await receiveAll(queue.url, 1);
    expect(messages.map((m) => firstRecord(m).s3.object.key)).toEqual(['in/pipeline_success.flag']);
    await expect(
      waitFor(async () => !(await queueIsEmpty(queue.url)), { timeoutMs: 300, description: 'a stray event' }),
    ).rejects.toThrow(/timed out/);
  });

  it('raises Copy, CompleteMultipartUpload and Delete events, each when selected', async () => {
    const { bucket, queue } = await bucketNotifying({}, ['s3:ObjectCreated:*', 's3:ObjectRemoved:*']);
    await t.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'a.txt', Body: 'a' }));
    await t.clients.s3.send(
      new CopyObjectCommand({ Bucket: bucket, Key: 'b.txt', CopySource: `${bucket}/a.txt` }),
    );
    await new Upload({
      client: t.clients.s3,
      params: { Bucket: bucket, Key: 'big.bin', Body: Buffer.alloc(6 * 1024 * 1024, 1) },
      partSize: 5 * 1024 * 1024,
    }).done();
    await t.clients.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'a.txt' }));
    await t.clients.s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: [{ Key: 'b.txt' }, { Key: 'big.bin' }] },
      }),
    );
    const messages = await receiveAll(queue.url, 6);
    const seen = messages.map((m) => `${firstRecord(m).eventName} ${firstRecord(m).s3.object.key}`).sort();
    expect(seen).toEqual([
      'ObjectCreated:CompleteMultipartUpload big.bin',
      'ObjectCreated:Copy b.txt',
      'ObjectCreated:Put a.txt',
      'ObjectRemoved:Delete a.txt',
      'ObjectRemoved:Delete b.txt',
      'ObjectRemoved:Delete big.bin',
    ]);
    const multipart = messages
      .map(firstRecord)
      .find((r) => r.eventName === 'ObjectCreated:CompleteMultipartUpload');
    expect(multipart.s3.object.size).toBe(6 * 1024 * 1024);
    expect(multipart.s3.object.eTag).toMatch(/-2$/);
  });

  it('round-trips the configuration through GetBucketNotificationConfiguration', async () => {
    const { bucket, queue } = await bucketNotifying({ prefix: 'p/', suffix: '.flag' });
    const got = await t.clients.s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
    expect(got.QueueConfigurations).toEqual([
      {
        Id: 'flags',
        QueueArn: queue.arn,
        Events: ['s3:ObjectCreated:*'],
        Filter: {
          Key: {
            FilterRules: [
              { Name: 'Prefix', Value: 'p/' },
              { Name: 'Suffix', Value: '.flag' },
            ],
          },
        },
      },
    ]);
  });

  it('refuses a configuration whose queue does not exist, and a bucket that does not exist', async () => {
    const bucket = uniqueName('src');
    await createBucket(t.clients.s3, bucket);
    const configuration = {
      QueueConfigurations: [
        {
          QueueArn: 'arn:aws:sqs:eu-west-2:000000000000:no-such-queue',
          Events: ['s3:ObjectCreated:*' as const],
        },
      ],
    };
    await expect(
      t.clients.s3.send(
        new PutBucketNotificationConfigurationCommand({
          Bucket: bucket,
          NotificationConfiguration: configuration,
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidArgument', message: expect.stringContaining('no-such-queue') });
    await expect(
      t.clients.s3.send(
        new PutBucketNotificationConfigurationCommand({
          Bucket: uniqueName('missing'),
          NotificationConfiguration: configuration,
        }),
      ),
    ).rejects.toMatchObject({ name: 'NoSuchBucket' });
  });

  it('stops notifying once the configuration is cleared', async () => {
    const { bucket, queue } = await bucketNotifying();
    await t.clients.s3.send(
      new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: {} }),
    );
    await t.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'x/pipeline_success.flag', Body: 'x' }),
    );
    await expect(
      waitFor(async () => !(await queueIsEmpty(queue.url)), { timeoutMs: 300, description: 'a stray event' }),
    ).rejects.toThrow(/timed out/);
  });
});
