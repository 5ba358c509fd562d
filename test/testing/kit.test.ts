import { GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseS3EventMessage } from '../../src/egress/index.ts';
import {
  flagEvent,
  type KitTargetChoice,
  startTestKit,
  type TestKit,
  uniqueName,
  worldEnvironment,
  worldNames,
} from '../../src/testing/index.ts';
import { waitFor } from '../../src/util/wait.ts';
import { motoAvailable } from '../helpers/moto.ts';

describe('the pure parts of the kit', () => {
  it('gives names that differ every time and are valid bucket names', () => {
    const names = Array.from({ length: 50 }, () => uniqueName('source'));
    expect(new Set(names).size).toBe(50);
    for (const name of names) expect(name).toMatch(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
  });

  it('writes a flag event that the service reads back as the same bucket and key', () => {
    const parsed = parseS3EventMessage(flagEvent('my-bucket', 'a dir/x+y%z/pipeline_success.flag'));
    expect(parsed).toMatchObject({
      kind: 'records',
      flags: [{ bucket: 'my-bucket', key: 'a dir/x+y%z/pipeline_success.flag' }],
    });
  });

  it('declares a world in the environment-file format, bucket roles aliased in the rules', () => {
    const options = {
      buckets: ['source', 'destination'],
      notifyFlags: ['source'],
      maxReceiveCount: 3,
      rules: [
        {
          source_prefix: 'p/',
          pipeline_name: 'P',
          source_bucket: 'source',
          destination_bucket: 'destination',
        },
      ],
    };
    const names = worldNames(options);
    expect(names.deadLetterQueue).toBe(`${names.queue}-dlq`);
    expect(worldEnvironment(names, options)).toEqual({
      buckets: [{ name: names.buckets.source }, { name: names.buckets.destination }],
      queues: [{ name: names.queue, deadLetter: { name: names.deadLetterQueue, maxReceiveCount: 3 } }],
      notifications: [{ bucket: names.buckets.source, queue: names.queue, suffix: 'pipeline_success.flag' }],
      tables: [{ name: names.table, items: { inline: options.rules, bucketAliases: names.buckets } }],
    });
    expect(() => worldEnvironment(names, { ...options, notifyFlags: ['elsewhere'] })).toThrow(/elsewhere/);
  });
});

/** The same checks on every target: a test chooses a target, not a harness. */
function describeTarget(choice: KitTargetChoice, skip = false) {
  describe.skipIf(skip)(`a kit on ${JSON.stringify(choice)}`, () => {
    let kit: TestKit;
    beforeAll(async () => {
      kit = await startTestKit({ target: choice });
    }, 60_000);
    afterAll(async () => {
      await kit?.stop();
    });

    it('provisions a world: redrive to the DLQ, the table with its rules, buckets and notifications', async () => {
      const world = await kit.world({
        buckets: ['source', 'destination'],
        notifyFlags: ['source'],
        maxReceiveCount: 3,
        rules: [
          {
            source_prefix: 'in/',
            pipeline_name: 'KIT',
            source_bucket: 'source',
            destination_bucket: 'destination',
          },
        ],
      });
      const { Attributes } = await kit.clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: world.queueUrl, AttributeNames: ['RedrivePolicy'] }),
      );
      const redrive = JSON.parse(Attributes!.RedrivePolicy!);
      expect(Number(redrive.maxReceiveCount)).toBe(3);
      expect(redrive.deadLetterTargetArn).toMatch(new RegExp(`:${world.deadLetterQueue}$`));

      const { Items } = await kit.clients.documents.send(new ScanCommand({ TableName: world.table }));
      expect(Items).toEqual([
        expect.objectContaining({
          source_prefix: 'in/',
          source_bucket: world.buckets.source,
          destination_bucket: world.buckets.destination,
        }),
      ]);

      await kit.putObject(world.buckets.source!, 'in/pipeline_success.flag', '');
      const flag = await waitFor(
        async () => {
          const { Messages } = await kit.clients.sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: world.queueUrl,
              WaitTimeSeconds: 1,
              MaxNumberOfMessages: 10,
            }),
          );
          return (Messages ?? [])
            .map((message) => parseS3EventMessage(message.Body))
            .find((parsed) => parsed.kind === 'records');
        },
        { timeoutMs: 15_000, description: 'the flag notification' },
      );
      expect(flag).toMatchObject({ flags: [{ key: 'in/pipeline_success.flag' }] });
    });

    it('runs the egress service on a world and logs its typed events', async () => {
      const world = await kit.world({ buckets: ['source', 'destination'] });
      const { source, destination } = world.buckets as { source: string; destination: string };
      await kit.putRule(world, {
        source_prefix: 'data/',
        pipeline_name: 'KIT',
        recipient_name: 'kit',
        transfer_type: 'S3',
        source_bucket: source,
        destination_bucket: destination,
        destination_prefix: 'out/',
      });
      await kit.putObject(source, 'data/file.csv', 'a,b\n1,2');
      const { events } = await kit.startService(world);
      await kit.sendFlag(world, 'data/pipeline_success.flag', source);

      await waitFor(() => events.of('message_processed').find((event) => event.reason === 'completed'), {
        timeoutMs: 20_000,
        description: 'the flag message to complete',
      });
      expect(await kit.keys(destination)).toEqual(['out/file.csv']);
      expect(await kit.getText(destination, 'out/file.csv')).toBe('a,b\n1,2');
      expect(events.of('object_transferred')).toEqual([
        expect.objectContaining({ sourceBucket: source, sourceKey: 'data/file.csv' }),
      ]);
      await waitFor(() => kit.queueIsEmpty(world.queueUrl), { description: 'the queue to drain' });
    });
  });
}

describeTarget('embedded');
describeTarget('moto', !motoAvailable('the test kit on moto'));

describe('resources with exactly the names a caller chose', () => {
  it('creates buckets, a queue and a table, and notifies a queue given by URL', async () => {
    const kit = await startTestKit();
    try {
      const [bucket, queue, table] = [uniqueName('named'), uniqueName('named-q'), uniqueName('named-t')];
      await kit.createBuckets(bucket);
      const queueUrl = await kit.createQueue(queue);
      expect(queueUrl).toMatch(new RegExp(`/${queue}$`));
      await kit.createTable(table);
      await kit.putRules({ table }, [{ source_prefix: 'a/', pipeline_name: 'A' }]);
      expect((await kit.clients.documents.send(new ScanCommand({ TableName: table }))).Items).toHaveLength(1);
      await kit.notify(bucket, queueUrl);
      await kit.putObject(bucket, 'any/key.csv', 'x');
      await waitFor(async () => (await kit.queueDepth(queueUrl)).visible >= 2, {
        description: 'the test event and the creation event',
      });
    } finally {
      await kit.stop();
    }
  });
});

describe('a kit on an endpoint something else runs', () => {
  it('uses that endpoint and leaves it running when it stops', async () => {
    const host = await startTestKit();
    try {
      const guest = await startTestKit({ target: { endpoint: host.edge.endpoint } });
      expect(guest.kind).toBe('endpoint');
      expect(() => guest.edge).toThrow(/not the embedded edge/);
      const bucket = await guest.bucket('guest');
      await guest.putObject(bucket, 'k', 'v');
      await guest.stop();
      expect(await host.getText(bucket, 'k')).toBe('v');
    } finally {
      await host.stop();
    }
  });
});
