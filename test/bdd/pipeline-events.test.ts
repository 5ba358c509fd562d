/**
 * The scenarios observe the egress service through its events when it runs in-process, and through
 * its log file on an external stack. Both views must tell the same story: one sandbox, both
 * observers, the same messages.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBucket } from '../../src/aws/buckets.ts';
import { createDocumentClient, createS3Client, createSqsClient } from '../../src/aws/clients.ts';
import { waitFor } from '../../src/util/wait.ts';
import {
  LOG_MESSAGES,
  logEvents,
  type PipelineEvent,
  type PipelineEvents,
} from '../../steps/support/pipeline-events.ts';
import type { TestTarget } from '../../steps/support/target.ts';
import { startSandboxTarget } from '../../steps/support/targets/embedded.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('the log messages the external observer reads', () => {
  it.each(Object.entries(LOG_MESSAGES))('%s: the egress service still logs "%s"', async (_, message) => {
    const sources = await Promise.all(
      [
        'src/egress/message-processor.ts',
        'src/egress/consumer/queue-consumer.ts',
        'src/egress/rules/repository.ts',
        'src/egress/rule-egress.ts',
      ].map((file) => readFile(path.join(ROOT, file), 'utf8')),
    );
    expect(sources.some((source) => source.includes(`'${message}'`))).toBe(true);
  });
});

describe('service events and log events', () => {
  let target: TestTarget;
  let fromLogs: PipelineEvents;
  let marks: { service: number; logs: number };

  beforeAll(async () => {
    target = await startSandboxTarget('embedded');
    fromLogs = logEvents(target.state.logs);
    marks = { service: await target.events.mark(), logs: await fromLogs.mark() };
  }, 30_000);

  afterAll(async () => {
    await target?.stop();
  });

  /**
   * The distinct events of a stream, comparable across streams. Concurrent messages may interleave
   * differently in the log and in the event stream, and the failing message repeats itself while
   * this runs, so distinct events are compared, not sequences.
   */
  const distinct = (events: PipelineEvent[]) =>
    [...new Set(events.map((event) => JSON.stringify(event)))].sort();

  it('tell the same story of a delivery, an unmatched flag, an invalid rule, a failure and a dead letter', async () => {
    const aws = {
      region: target.state.region,
      endpoint: target.state.aws.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    };
    const s3 = createS3Client(aws);
    const sqs = createSqsClient(aws);
    const documents = createDocumentClient(aws);
    const rule = (prefix: string, extra: Record<string, unknown>) =>
      documents.send(
        new PutCommand({
          TableName: target.state.table,
          Item: {
            source_prefix: prefix,
            pipeline_name: 'OBSERVED',
            transfer_type: 'S3',
            source_bucket: 'source',
            destination_bucket: 'destination',
            destination_prefix: `${prefix}out/`,
            ...extra,
          },
        }),
      );
    await rule('observed/ok/', {});
    await rule('observed/bad/', { decrypt: 'true' });
    await rule('observed/fail/', { destination_bucket: 'observed-missing' });
    for (const folder of ['ok', 'fail']) {
      await s3.send(
        new PutObjectCommand({ Bucket: 'source', Key: `observed/${folder}/a.csv`, Body: Buffer.from('a') }),
      );
    }
    for (const folder of ['ok', 'bad', 'none', 'fail']) {
      await s3.send(
        new PutObjectCommand({
          Bucket: 'source',
          Key: `observed/${folder}/pipeline_success.flag`,
          Body: Buffer.alloc(0),
        }),
      );
    }
    await sqs.send(new SendMessageCommand({ QueueUrl: target.state.queue.url, MessageBody: 'not json' }));

    const complete = (events: PipelineEvent[]) =>
      events.some((e) => e.type === 'dead-lettered') &&
      events.some((e) => e.type === 'object-failed') &&
      events.some((e) => e.type === 'message' && e.action === 'retained') &&
      // Four messages end deleted: ok (completed), bad and none (no match), the dead letter. Waiting
      // for only three let the service's list stop before ok's, which the log then had.
      events.filter((e) => e.type === 'message' && e.action === 'deleted').length >= 4 &&
      events.some((e) => e.type === 'transferred');
    const service = await waitFor(
      async () => {
        const events = await target.events.since(marks.service);
        return complete(events) ? events : undefined;
      },
      { timeoutMs: 20_000, description: 'every kind of event from the service' },
    );
    const logs = await waitFor(
      async () => {
        const events = await fromLogs.since(marks.logs);
        return complete(events) ? events : undefined;
      },
      { timeoutMs: 5_000, description: 'the same events from the log' },
    );
    await createBucket(s3, 'observed-missing');
    expect(distinct(logs)).toEqual(distinct(service));
    const types = new Set(service.map((e) => e.type));
    expect([...types].sort()).toEqual([
      'dead-lettered',
      'invalid-rule',
      'message',
      'object-failed',
      'transferred',
      'unmatched',
    ]);
    const messages = service.filter((e) => e.type === 'message');
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'deleted',
          reason: 'completed',
          flagKeys: ['observed/ok/pipeline_success.flag'],
        }),
        expect.objectContaining({
          action: 'deleted',
          reason: 'no-match',
          flagKeys: ['observed/none/pipeline_success.flag'],
        }),
        expect.objectContaining({
          action: 'deleted',
          reason: 'no-match',
          flagKeys: ['observed/bad/pipeline_success.flag'],
        }),
        expect.objectContaining({
          action: 'retained',
          reason: 'failed',
          flagKeys: ['observed/fail/pipeline_success.flag'],
        }),
      ]),
    );
    for (const client of [s3, sqs, documents]) client.destroy();
  }, 40_000);
});
