import { GetQueueAttributesCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnvironment, provisionEnvironment } from '../../src/aws/provisioning/index.ts';
import { s3NotificationQueuePolicy, samePolicy } from '../../src/aws/provisioning/queue-policy.ts';
import { startTestKit, type TestKit, uniqueName } from '../../src/testing/index.ts';

describe('the queue policy S3 needs to deliver notifications', () => {
  it.each([
    ['one bucket', 'arn:aws:sqs:eu-west-2:123456789012:data-egress', ['source'], 'arn:aws:s3:::source'],
    [
      'several buckets, once each, sorted',
      'arn:aws:sqs:eu-west-2:000000000000:q',
      ['source', 'htme', 'source'],
      ['arn:aws:s3:::htme', 'arn:aws:s3:::source'],
    ],
    ['the queue’s partition', 'arn:aws-cn:sqs:cn-north-1:123456789012:q', ['b'], 'arn:aws-cn:s3:::b'],
  ])('%s', (_name, queueArn, buckets, sourceArn) => {
    expect(JSON.parse(s3NotificationQueuePolicy(queueArn, buckets))).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'egress-s3-event-notifications',
          Effect: 'Allow',
          Principal: { Service: 's3.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: queueArn,
          Condition: { ArnLike: { 'aws:SourceArn': sourceArn } },
        },
      ],
    });
  });

  it.each([
    ['the same text', '{"a":1,"b":[1,2]}', '{"a":1,"b":[1,2]}', true],
    [
      'keys in another order, other spacing',
      '{"a":1,"b":{"c":2,"d":3}}',
      '{ "b": {"d":3, "c":2}, "a": 1 }',
      true,
    ],
    ['another value', '{"a":1}', '{"a":2}', false],
    ['array order matters', '{"a":[1,2]}', '{"a":[2,1]}', false],
    ['none set', undefined, '{"a":1}', false],
    ['not JSON', 'nope', '{"a":1}', false],
  ])('samePolicy: %s', (_name, a, b, expected) => {
    expect(samePolicy(a, b)).toBe(expected);
  });
});

describe('provisioning gives notified queues that policy', () => {
  let t: TestKit;
  beforeAll(async () => {
    t = await startTestKit();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('on creation, keeps it on a second run, and restores it when someone changed it', async () => {
    const bucket = uniqueName('pol-src');
    const queue = uniqueName('pol-q');
    const loaded = await parseEnvironment(
      `buckets: [{ name: ${bucket} }]\nqueues: [{ name: ${queue}, deadLetter: { name: ${queue}-dlq, maxReceiveCount: 3 } }]\n` +
        `notifications: [{ bucket: ${bucket}, queue: ${queue}, suffix: pipeline_success.flag }]\n`,
      'policy.yml',
    );
    const first = await provisionEnvironment(t.target, loaded);
    const { url, arn } = first.queues[queue]!;
    const policy = async (queueUrl: string) =>
      (
        await t.clients.sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['Policy'] }),
        )
      ).Attributes?.Policy;
    expect(samePolicy(await policy(url), s3NotificationQueuePolicy(arn, [bucket]))).toBe(true);
    // The dead-letter queue is not notified by any bucket: no policy.
    expect(await policy(first.queues[`${queue}-dlq`]!.url)).toBeUndefined();

    const second = await provisionEnvironment(t.target, loaded);
    expect(second.steps.every((s) => s.action === 'found')).toBe(true);

    await t.clients.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: url,
        Attributes: { Policy: '{"Version":"2012-10-17","Statement":[]}' },
      }),
    );
    const third = await provisionEnvironment(t.target, loaded);
    expect(third.steps.find((s) => s.kind === 'queue' && s.name === queue)).toMatchObject({
      action: 'updated',
      detail: 'Policy',
    });
    expect(samePolicy(await policy(url), s3NotificationQueuePolicy(arn, [bucket]))).toBe(true);
  });
});
