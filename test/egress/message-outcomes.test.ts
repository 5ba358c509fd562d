import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBucket } from '../../src/aws/buckets.ts';
import { DEAD_LETTER_REASON_ATTRIBUTE } from '../../src/egress/consumer/dead-letter.ts';
import { startTestKit, type TestKit, uniqueName } from '../../src/testing/index.ts';
import { waitFor } from '../../src/util/wait.ts';
import { specContent } from './support/spec-content.ts';

let kit: TestKit;
beforeAll(async () => {
  kit = await startTestKit();
});
afterAll(async () => {
  await kit.stop();
});

// Each test has its own queues, table and buckets, and mostly waits on SQS timing: run them side by side.
describe.concurrent('message outcomes', () => {
  it('deletes a flag that matches no rule, with a warning naming the key', async () => {
    const world = await kit.world();
    const source = await kit.bucket('source');
    await kit.putRule(world, {
      source_prefix: 'dataegress/cbol-report/$TODAYS_DATE/*',
      pipeline_name: 'CBOL',
      transfer_type: 'S3',
      source_bucket: source,
      destination_bucket: 'never-written',
    });
    const { events } = await kit.startService(world, {}, { clock: () => new Date('2021-09-02T00:00:01Z') });
    // Arrives after midnight: the dated rule no longer matches (behaviour §1.5).
    await kit.sendFlag(world, 'dataegress/cbol-report/2021-09-01/pipeline_success.flag');

    const processed = await waitFor(() => events.of('message_processed')[0]);
    expect(processed).toMatchObject({ action: 'deleted', reason: 'no-match' });
    expect(events.of('flag_unmatched')).toEqual([
      {
        correlationId: processed.correlationId,
        key: 'dataegress/cbol-report/2021-09-01/pipeline_success.flag',
      },
    ]);
    await waitFor(() => kit.queueIsEmpty(world.queueUrl), { description: 'the message to be deleted' });
  });

  it('acknowledges events that are not a flag creation (deletes, other keys) without action', async () => {
    const world = await kit.world();
    const { events } = await kit.startService(world);
    await kit.sendRaw(
      world,
      JSON.stringify({
        Records: [
          { eventName: 'ObjectRemoved:Delete', s3: { object: { key: 'a/pipeline_success.flag' } } },
          { eventName: 'ObjectCreated:Put', s3: { object: { key: 'a/data.csv' } } },
        ],
      }),
    );
    const processed = await waitFor(() => events.of('message_processed')[0]);
    expect(processed).toMatchObject({ action: 'deleted', reason: 'no-flags', flagKeys: [] });
    await waitFor(() => kit.queueIsEmpty(world.queueUrl));
  });

  it('skips and reports an invalid routing item; the valid rules of the same flag still run', async () => {
    const world = await kit.world();
    const [source, destination, untouched] = await Promise.all([
      kit.bucket('source'),
      kit.bucket('destination'),
      kit.bucket('untouched'),
    ]);
    const common = { source_prefix: 'mixed/', transfer_type: 'S3', source_bucket: source };
    await kit.putRule(world, { ...common, pipeline_name: 'VALID', destination_bucket: destination });
    await kit.putRule(world, {
      ...common,
      pipeline_name: 'STRING_BOOL',
      destination_bucket: untouched,
      decrypt: 'true',
    });
    await kit.putObject(source, 'mixed/data.csv', specContent('mixed'));
    const { events } = await kit.startService(world);
    await kit.sendFlag(world, 'mixed/pipeline_success.flag');

    const processed = await waitFor(() => events.of('message_processed')[0]);
    expect(processed).toMatchObject({ action: 'deleted', reason: 'completed' });
    expect(processed.rules.map((rule) => rule.rule.pipelineName)).toEqual(['VALID']);
    expect(events.of('rule_invalid')).toEqual([
      {
        key: { sourcePrefix: 'mixed/', pipelineName: 'STRING_BOOL' },
        reason: 'decrypt: expected a boolean (BOOL) or nothing, got string "true"',
      },
    ]);
    expect(await kit.keys(destination)).toEqual(['data.csv']);
    expect(await kit.keys(untouched)).toEqual([]);
  });

  it('scans the table once per message and runs a rule once, however many of its flags the message carries', async () => {
    const world = await kit.world();
    const [source, destination] = await Promise.all([kit.bucket('source'), kit.bucket('destination')]);
    await kit.putRule(world, {
      source_prefix: 'twice/',
      pipeline_name: 'TWICE',
      transfer_type: 'S3',
      source_bucket: source,
      destination_bucket: destination,
    });
    // An invalid item is reported once per scan, which makes the number of scans observable.
    await kit.putRule(world, {
      source_prefix: 'elsewhere/',
      pipeline_name: 'BAD',
      transfer_type: 'FTP',
      source_bucket: source,
    });
    await kit.putObject(source, 'twice/data.csv', 'data');
    const { events } = await kit.startService(world);
    const flag = { eventName: 'ObjectCreated:Put', s3: { object: { key: 'twice/pipeline_success.flag' } } };
    const other = {
      eventName: 'ObjectCreated:Put',
      s3: { object: { key: 'twice/a/pipeline_success.flag' } },
    };
    await kit.sendRaw(world, JSON.stringify({ Records: [flag, other] }));

    const processed = await waitFor(() => events.of('message_processed')[0]);
    expect(processed).toMatchObject({ action: 'deleted', reason: 'completed' });
    expect(processed.flagKeys).toEqual(['twice/pipeline_success.flag', 'twice/a/pipeline_success.flag']);
    expect(processed.rules).toHaveLength(1);
    expect(events.of('object_transferred')).toHaveLength(1);
    expect(events.of('rule_invalid')).toEqual([
      {
        key: { sourcePrefix: 'elsewhere/', pipelineName: 'BAD' },
        reason: expect.stringContaining('transfer_type'),
      },
    ]);
  });

  it('sends a poison message to the DLQ with its reason and deletes it from the queue', async () => {
    const world = await kit.world();
    const { events } = await kit.startService(world);
    const messageId = await kit.sendRaw(world, 'this is not json');

    const deadLettered = await waitFor(() => events.of('message_dead_lettered')[0]);
    expect(deadLettered).toMatchObject({ messageId, sentToDeadLetterQueue: true });
    const inDlq = await waitFor(() => kit.receiveOne(world.deadLetterQueueUrl), {
      description: 'the DLQ message',
    });
    expect(inDlq.Body).toBe('this is not json');
    expect(inDlq.MessageAttributes?.[DEAD_LETTER_REASON_ATTRIBUTE]?.StringValue).toMatch(
      /message body is not JSON/,
    );
    expect(inDlq.MessageAttributes?.egress_source_message_id?.StringValue).toBe(messageId);
    await waitFor(() => kit.queueIsEmpty(world.queueUrl), {
      description: 'the poison message to leave the queue',
    });
  });

  it('without a configured DLQ, leaves a poison message for the queue redrive policy', async () => {
    const world = await kit.world({ maxReceiveCount: 1 });
    const { events } = await kit.startService(world, {
      deadLetterQueueUrl: undefined,
      visibilityTimeoutSeconds: 2,
      heartbeatIntervalSeconds: 1,
    });
    const messageId = await kit.sendRaw(world, '{"not":"an S3 event"}');

    const deadLettered = await waitFor(() => events.of('message_dead_lettered')[0]);
    expect(deadLettered).toMatchObject({
      messageId,
      sentToDeadLetterQueue: false,
      reason: 'message body has no Records',
    });
    expect(events.of('message_processed')[0]).toMatchObject({ action: 'retained', reason: 'malformed' });
    const inDlq = await waitFor(() => kit.receiveOne(world.deadLetterQueueUrl), {
      timeoutMs: 10_000,
      description: 'the redrive policy to move the message',
    });
    expect(inDlq.MessageId).toBe(messageId);
  });

  it('deletes a message only when every object succeeded: missing bucket → retained; bucket created → delivered on redelivery', async () => {
    const world = await kit.world();
    const source = await kit.bucket('source');
    const destination = uniqueName('late-destination');
    await kit.putRule(world, {
      source_prefix: 'retry/',
      pipeline_name: 'RETRY',
      transfer_type: 'S3',
      source_bucket: source,
      destination_bucket: destination,
      destination_prefix: 'out/',
      control_file_prefix: 'retry.control',
    });
    await kit.putObject(source, 'retry/a.csv', 'a');
    await kit.putObject(source, 'retry/b.csv', 'b');
    const { events } = await kit.startService(world, {
      visibilityTimeoutSeconds: 2,
      heartbeatIntervalSeconds: 1,
    });
    const messageId = await kit.sendFlag(world, 'retry/pipeline_success.flag');

    const first = await waitFor(() => events.of('message_processed')[0]);
    expect(first).toMatchObject({ messageId, action: 'retained', reason: 'failed' });
    expect(first.rules[0]).toMatchObject({ objectsSent: 0, objectsFailed: 2, succeeded: false });
    // Both objects were attempted — one failure does not stop the others — and no control file was written.
    expect(
      events
        .of('object_failed')
        .map((event) => event.sourceKey)
        .sort(),
    ).toEqual(['retry/a.csv', 'retry/b.csv']);
    expect(events.of('file_written')).toEqual([]);

    await createBucket(kit.clients.s3, destination);
    const second = await waitFor(
      () => events.of('message_processed').find((event) => event.action === 'deleted'),
      {
        description: 'the redelivered message to complete',
      },
    );
    expect(second).toMatchObject({ messageId, reason: 'completed' });
    expect(
      events
        .of('message_received')
        .filter((event) => event.messageId === messageId)
        .map((e) => e.receiveCount),
    ).toEqual([1, 2]);
    expect(await kit.keys(destination)).toEqual(['out/a.csv', 'out/b.csv', 'out/retry.control']);
    expect(await kit.getText(destination, 'out/retry.control')).toBe('a.csv\nb.csv\n');
    await waitFor(() => kit.queueIsEmpty(world.queueUrl));
  });

  it('a message that keeps failing ends in the DLQ through the redrive policy', async () => {
    const world = await kit.world({ maxReceiveCount: 2 });
    const source = await kit.bucket('source');
    await kit.putRule(world, {
      source_prefix: 'doomed/',
      pipeline_name: 'DOOMED',
      transfer_type: 'S3',
      source_bucket: source,
      destination_bucket: uniqueName('never-created'),
    });
    await kit.putObject(source, 'doomed/a.csv', 'a');
    await kit.startService(world, { visibilityTimeoutSeconds: 2, heartbeatIntervalSeconds: 1 });
    const messageId = await kit.sendFlag(world, 'doomed/pipeline_success.flag');

    const inDlq = await waitFor(() => kit.receiveOne(world.deadLetterQueueUrl), {
      timeoutMs: 15_000,
      description: 'the failing message to be redriven to the DLQ',
    });
    expect(inDlq.MessageId).toBe(messageId);
  });
});
