import assert from 'node:assert/strict';
import { PutBucketNotificationConfigurationCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { Upload } from '@aws-sdk/lib-storage';
import { Given, Then, When } from '@cucumber/cucumber';
import { createBucket } from '../src/aws/buckets.ts';
import { waitFor } from '../src/util/wait.ts';
import type { EgressWorld } from './support/world.ts';

interface Landing {
  bucket: string;
  queueUrl: string;
  /** Every message body seen so far, in arrival order. */
  seen: Record<string, unknown>[];
}

function landing(world: EgressWorld): Landing {
  const value = world.notes.get('landing') as Landing | undefined;
  assert.ok(value, 'no landing bucket was set up in this scenario');
  return value;
}

async function drain(world: EgressWorld, state: Landing): Promise<void> {
  const { Messages } = await world.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: state.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
  );
  for (const message of Messages ?? []) {
    state.seen.push(JSON.parse(message.Body!));
    await world.sqs.send(
      new DeleteMessageCommand({ QueueUrl: state.queueUrl, ReceiptHandle: message.ReceiptHandle }),
    );
  }
}

type EventRecord = { eventName: string; s3: { object: { key: string } } };

function objectEvents(state: Landing): EventRecord[] {
  return state.seen.flatMap((body) => (body.Records as EventRecord[] | undefined) ?? []);
}

async function waitForEvent(
  world: EgressWorld,
  predicate: (record: EventRecord) => boolean,
): Promise<EventRecord> {
  const state = landing(world);
  return waitFor(
    async () => {
      await drain(world, state);
      return objectEvents(state).find(predicate);
    },
    {
      timeoutMs: 10_000,
      // What did arrive, so a failure shows the difference (an event name, a key's encoding).
      get description() {
        const seen = objectEvents(state).map((r) => `${r.eventName} ${r.s3.object.key}`);
        return `the S3 event on the queue (object events seen: ${seen.join(', ') || 'none'})`;
      },
    },
  );
}

/** An event's key as S3 means it: the record carries it URL-encoded, a space as `+`. */
function decodedKey(record: EventRecord): string {
  return decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
}

Given(
  'a landing bucket that notifies its own queue of {string} for keys ending {string}',
  async function (this: EgressWorld, event: string, suffix: string) {
    const bucket = `landing-${this.id}`;
    await createBucket(this.s3, bucket);
    const { QueueUrl } = await this.sqs.send(new CreateQueueCommand({ QueueName: `landing-${this.id}` }));
    const { Attributes } = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    await this.s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: bucket,
        NotificationConfiguration: {
          QueueConfigurations: [
            {
              QueueArn: Attributes!.QueueArn!,
              Events: [event as never],
              Filter: { Key: { FilterRules: [{ Name: 'suffix', Value: suffix }] } },
            },
          ],
        },
      }),
    );
    this.notes.set('landing', { bucket, queueUrl: QueueUrl!, seen: [] } satisfies Landing);
    this.onCleanup(() => this.sqs.send(new DeleteQueueCommand({ QueueUrl })));
  },
);

When('the producer uploads {string} to the landing bucket', async function (this: EgressWorld, key: string) {
  await this.s3.send(
    new PutObjectCommand({ Bucket: landing(this).bucket, Key: key, Body: `content of ${key}` }),
  );
});

When(
  'the producer uploads a {int} MiB {string} in parts to the landing bucket',
  async function (this: EgressWorld, mebibytes: number, key: string) {
    await new Upload({
      client: this.s3,
      params: { Bucket: landing(this).bucket, Key: key, Body: Buffer.alloc(mebibytes * 1024 * 1024, 1) },
      partSize: 5 * 1024 * 1024,
    }).done();
  },
);

Then(
  'the queue receives an {string} for the landing bucket',
  async function (this: EgressWorld, event: string) {
    const state = landing(this);
    const body = await waitFor(
      async () => {
        await drain(this, state);
        return state.seen.find((b) => b.Event === event);
      },
      { timeoutMs: 10_000, description: event },
    );
    assert.equal(body.Bucket, state.bucket);
    assert.equal(body.Service, 'Amazon S3');
  },
);

Then(
  'the queue receives an {string} event whose key reads {string}',
  async function (this: EgressWorld, eventName: string, encodedKey: string) {
    const record = await waitForEvent(
      this,
      (r) => r.eventName === eventName && r.s3.object.key === encodedKey,
    );
    this.notes.set('lastEvent', record);
  },
);

Then(
  'the queue receives an {string} event for {string}',
  async function (this: EgressWorld, eventName: string, key: string) {
    const record = await waitForEvent(this, (r) => r.eventName === eventName && decodedKey(r) === key);
    this.notes.set('lastEvent', record);
  },
);

Then('that key decodes to {string}', function (this: EgressWorld, key: string) {
  const record = this.notes.get('lastEvent') as EventRecord;
  assert.equal(decodedKey(record), key);
});

Then('the only object event on the queue is for {string}', async function (this: EgressWorld, key: string) {
  // The flag was uploaded last and events are published in order, so once its event is here
  // any event for the data files would be here too.
  await waitForEvent(this, (r) => decodedKey(r) === key);
  await drain(this, landing(this));
  assert.deepEqual(objectEvents(landing(this)).map(decodedKey), [key]);
});
