import { PutBucketNotificationConfigurationCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawHttp } from '../../scripts/chaos/edge-attacks.ts';
import { createBucket } from '../../src/aws/buckets.ts';
import { startTestKit, type TestKit, uniqueName } from '../../src/testing/index.ts';
import { waitFor } from '../../src/util/wait.ts';

/*
 * Issue 12, item 5, end to end with a raw HTTP client (an SDK might tidy the path itself): keys with
 * `.`/`..` segments are stored and announced exactly as sent, in the bucket they were sent to — a
 * PUT of `/destination/../source/<prefix>pipeline_success.flag` is an object of `destination` and
 * its event names `destination`, never `source`.
 */

let t: TestKit;
let queueUrl: string;
let source: string;
let destination: string;
beforeAll(async () => {
  t = await startTestKit();
  const queue = await t.clients.sqs.send(new CreateQueueCommand({ QueueName: uniqueName('literal') }));
  queueUrl = queue.QueueUrl!;
  const { Attributes } = await t.clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  source = uniqueName('source');
  destination = uniqueName('destination');
  for (const bucket of [source, destination]) {
    await createBucket(t.clients.s3, bucket);
    await t.clients.s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: bucket,
        NotificationConfiguration: {
          QueueConfigurations: [{ QueueArn: Attributes!.QueueArn!, Events: ['s3:ObjectCreated:*'] }],
        },
      }),
    );
  }
  // The object the `..` trick would point at, with a size of its own.
  await t.clients.s3.send(
    new PutObjectCommand({ Bucket: source, Key: 'p/pipeline_success.flag', Body: 'the real source flag' }),
  );
});
afterAll(async () => {
  await t.stop();
});

interface Announced {
  bucket: string;
  key: string;
  size: number | undefined;
}

/** Every object event on the queue (test events skipped), each received once and deleted. */
async function drainEvents(expected: number): Promise<Announced[]> {
  const events: Announced[] = [];
  await waitFor(
    async () => {
      const { Messages } = await t.clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      for (const message of Messages ?? []) {
        await t.clients.sqs.send(
          new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
        );
        const body = JSON.parse(message.Body!) as {
          Records?: { s3: { bucket: { name: string }; object: { key: string; size?: number } } }[];
        };
        for (const record of body.Records ?? []) {
          events.push({
            bucket: record.s3.bucket.name,
            key: decodeURIComponent(record.s3.object.key.replace(/\+/g, ' ')),
            size: record.s3.object.size,
          });
        }
      }
      return events.length >= expected;
    },
    { timeoutMs: 10_000, description: `${expected} object events` },
  );
  return events;
}

/** A PUT to `target` is refused with S3's `code` and leaves the destination bucket as it was. */
async function expectRefusedPut(target: string, headers: Record<string, string>, code: string) {
  const before = await listKeys(destination);
  const answer = await rawHttp(t.edge.endpoint, { method: 'PUT', path: target, headers, body: 'x' });
  expect(answer.status).toBe(400);
  expect(answer.body).toContain(`<Code>${code}</Code>`);
  expect(await listKeys(destination)).toEqual(before);
}

async function listKeys(bucket: string): Promise<string[]> {
  const answer = await rawHttp(t.edge.endpoint, { method: 'GET', path: `/${bucket}?list-type=2` });
  expect(answer.status).toBe(200);
  return [...answer.body.matchAll(/<Key>([^<]*)<\/Key>/g)].map((match) => match[1]!);
}

describe('keys are taken literally from the raw request path', () => {
  it('stores and announces dot-segment keys exactly as sent, in the bucket they were sent to', async () => {
    await drainEvents(1); // the source flag put by beforeAll
    const sent = [
      { path: `/${destination}/a/./one.flag`, key: 'a/./one.flag', body: 'one' },
      { path: `/${destination}/a/../two.flag`, key: 'a/../two.flag', body: 'two!' },
      { path: `/${destination}/a/%2E%2E/three.flag`, key: 'a/../three.flag', body: 'three' },
      {
        path: `/${destination}/../${source}/p/pipeline_success.flag`,
        key: `../${source}/p/pipeline_success.flag`,
        body: 'x',
      },
    ];
    for (const { path, body } of sent) {
      const answer = await rawHttp(t.edge.endpoint, { method: 'PUT', path, body });
      expect(answer.status, `${path}: ${answer.body}`).toBe(200);
    }

    const events = await drainEvents(sent.length);
    expect(events.sort((a, b) => a.key.localeCompare(b.key))).toEqual(
      sent
        .map(({ key, body }) => ({ bucket: destination, key, size: body.length }))
        .sort((a, b) => a.key.localeCompare(b.key)),
    );
    expect(await listKeys(destination)).toEqual(sent.map(({ key }) => key).sort());
    expect(await listKeys(source)).toEqual(['p/pipeline_success.flag']);
    for (const { path, body } of sent) {
      expect((await rawHttp(t.edge.endpoint, { method: 'GET', path })).body).toBe(body);
    }
    const original = await rawHttp(t.edge.endpoint, {
      method: 'GET',
      path: `/${source}/p/pipeline_success.flag`,
    });
    expect(original.body).toBe('the real source flag');
  });

  it.each([
    [`%zz.flag`, 'InvalidURI'],
    [`h#x.flag`, 'InvalidURI'],
  ])('refuses %s with %s, storing and announcing nothing', async (tail, code) => {
    await expectRefusedPut(`/${destination}/${tail}`, {}, code);
  });

  it('refuses the bucket names "." and ".." (which a URL parser would resolve into another bucket)', async () => {
    const answer = await rawHttp(t.edge.endpoint, {
      method: 'PUT',
      path: `/../${source}/p/pipeline_success.flag`,
      body: 'x',
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('<Code>InvalidBucketName</Code>');
    const original = await rawHttp(t.edge.endpoint, {
      method: 'GET',
      path: `/${source}/p/pipeline_success.flag`,
    });
    expect(original.body).toBe('the real source flag');
    // No event for either bucket: the queue stays empty.
    const { Messages } = await t.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }),
    );
    expect(Messages ?? []).toEqual([]);
  });
});

describe('virtual-hosted requests (the bucket in Host) are taken literally too', () => {
  const port = () => new URL(t.edge.endpoint).port;

  it('stores and announces a dot-segment key sent to <bucket>.localhost in that bucket, as sent', async () => {
    await drainEvents(0);
    const answer = await rawHttp(t.edge.endpoint, {
      method: 'PUT',
      path: `/v/../${source}/vhost.flag`,
      headers: { host: `${destination}.localhost:${port()}` },
      body: 'virtual',
    });
    expect(answer.status, answer.body).toBe(200);
    expect(await drainEvents(1)).toEqual([
      { bucket: destination, key: `v/../${source}/vhost.flag`, size: 'virtual'.length },
    ]);
    const got = await rawHttp(t.edge.endpoint, {
      method: 'GET',
      path: `/${destination}/v/../${source}/vhost.flag`,
    });
    expect(got.body).toBe('virtual');
    expect(await listKeys(source)).toEqual(['p/pipeline_success.flag']);
  });

  it.each([
    ['malformed percent-encoding', '/%zz.flag', 'InvalidURI'],
    ['a target that is not a path', 'http://example.org/x.flag', 'InvalidURI'],
  ])('refuses %s whatever the Host says', async (_name, target, code) => {
    await expectRefusedPut(target, { host: `${destination}.localhost:${port()}` }, code);
  });

  it('refuses a virtual-hosted Host that is not a loopback name unless allowed (DNS rebinding)', async () => {
    const answer = await rawHttp(t.edge.endpoint, {
      method: 'GET',
      path: '/p/pipeline_success.flag',
      headers: { host: `${source}.s3.evil.example:${port()}` },
    });
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('<Code>AccessDenied</Code>');
  });
});
