import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKit, type TestKit } from '../../src/testing/index.ts';
import { waitFor } from '../../src/util/wait.ts';
import { type EdgeProxy, type RefusedCall, startEdgeProxy } from './support/edge-proxy.ts';

/*
 * Issue 19 item 1: the service makes three calls beyond the original task role, each only for a
 * feature (config/iam/egress-task-role.yml, `beyondTheOriginal`). Under the original role those calls
 * are refused; the service must then still lose nothing: an unparseable message reaches the DLQ
 * through the queue's redrive policy, and a multipart upload whose abort is refused still fails its
 * object cleanly, leaving the service working. The proxy answers AccessDenied as AWS does.
 */

const SEND_MESSAGE: RefusedCall = {
  action: 'sqs:SendMessage',
  protocol: 'sqs-json',
  matches: (request) => request.headers['x-amz-target'] === 'AmazonSQS.SendMessage',
};
const ABORT_MULTIPART_UPLOAD: RefusedCall = {
  action: 's3:AbortMultipartUpload',
  protocol: 's3-xml',
  matches: (request) => request.method === 'DELETE' && /[?&]uploadId=/.test(request.url ?? ''),
};
/** Not a missing permission: the fault that makes the upload fail midway, so that it is aborted. */
const PART_OF_BROKEN_UPLOAD: RefusedCall = {
  action: 's3:PutObject (a part under broken/)',
  protocol: 's3-xml',
  matches: (request) =>
    request.method === 'PUT' &&
    /\/broken\//.test(request.url ?? '') &&
    /[?&]partNumber=/.test(request.url ?? ''),
};

let kit: TestKit;
let proxy: EdgeProxy;
beforeAll(async () => {
  kit = await startTestKit();
  proxy = await startEdgeProxy(kit.edge.endpoint, {
    refuse: [SEND_MESSAGE, ABORT_MULTIPART_UPLOAD, PART_OF_BROKEN_UPLOAD],
  });
});
afterAll(async () => {
  await proxy?.stop();
  await kit?.stop();
});

describe('the egress service under the original task role (no sqs:SendMessage, no s3:AbortMultipartUpload)', () => {
  it('an unparseable message still ends in the DLQ, through the redrive policy', async () => {
    const world = await kit.world({ maxReceiveCount: 2 });
    const { events } = await kit.startService(world, {
      aws: { ...kit.target, endpoint: proxy.url },
    });
    const messageId = await kit.sendRaw(world, 'not json {');

    const deadLetter = await waitFor(() => kit.receiveOne(world.deadLetterQueueUrl), {
      timeoutMs: 60_000,
      description: 'the message in the DLQ by the redrive policy',
    });
    expect(deadLetter.Body).toBe('not json {');
    expect(proxy.refused).toContain('sqs:SendMessage');
    const outcomes = events.of('message_processed').filter((event) => event.messageId === messageId);
    expect(outcomes.length).toBeGreaterThanOrEqual(1);
    expect(outcomes.every((event) => event.action === 'retained')).toBe(true);
  }, 90_000);

  it('an upload that fails midway fails its object although the abort is refused; the next flag is delivered', async () => {
    const world = await kit.world();
    const [source, destination] = [await kit.bucket('source'), await kit.bucket('destination')];
    for (const prefix of ['broken/', 'fine/']) {
      await kit.putRule(world, {
        source_prefix: prefix,
        pipeline_name: prefix.toUpperCase().replace('/', ''),
        transfer_type: 'S3',
        source_bucket: source,
        destination_bucket: destination,
        destination_prefix: prefix,
      });
    }
    // Larger than one part (8 MiB): a multipart upload, so a failed part leads to an abort.
    await kit.putObject(source, 'broken/big.bin', randomBytes(12 * 1024 * 1024));
    await kit.putObject(source, 'fine/small.csv', 'still delivered');
    const { events } = await kit.startService(world, { aws: { ...kit.target, endpoint: proxy.url } });

    await kit.sendFlag(world, 'broken/pipeline_success.flag', source);
    const failed = await waitFor(() => events.of('object_failed')[0], {
      timeoutMs: 60_000,
      description: 'the object of the broken upload to fail',
    });
    expect(failed).toMatchObject({ sourceKey: 'broken/big.bin' });
    // Why the upload failed comes first; the refused abort is said after it, never instead of it.
    expect(failed.reason).toMatch(
      /not authorized to perform: s3:PutObject \(a part under broken\/\): and its parts were not removed \(AbortMultipartUpload: .*not authorized to perform: s3:AbortMultipartUpload\)/,
    );
    await waitFor(() => (proxy.refused.includes('s3:AbortMultipartUpload') ? true : undefined), {
      timeoutMs: 10_000,
      description: 'the refused abort',
    });
    expect(await kit.keys(destination, 'broken/')).toEqual([]);

    await kit.sendFlag(world, 'fine/pipeline_success.flag', source);
    await waitFor(
      () =>
        events
          .of('message_processed')
          .find(
            (event) => event.flagKeys?.includes('fine/pipeline_success.flag') && event.action === 'deleted',
          ),
      { timeoutMs: 60_000, description: 'the next flag to be delivered' },
    );
    expect(await kit.getText(destination, 'fine/small.csv')).toBe('still delivered');
  }, 150_000);
});
