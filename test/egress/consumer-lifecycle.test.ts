import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKit, type TestKit } from '../../src/testing/index.ts';
import { waitFor } from '../../src/util/wait.ts';
import { Gate, gatedContent } from './support/slow-content.ts';
import { specContent } from './support/spec-content.ts';

let kit: TestKit;
beforeAll(async () => {
  kit = await startTestKit();
});
afterAll(async () => {
  await kit.stop();
});

// Each test has its own queues, table and buckets, and mostly waits on SQS timing: run them side by side.
describe.concurrent('consumer lifecycle: heartbeat and graceful stop', () => {
  it('a heartbeat keeps a slow transfer from being redelivered mid-flight', async () => {
    const world = await kit.world();
    const [source, destination] = await Promise.all([kit.bucket('source'), kit.bucket('destination')]);
    await kit.putRule(world, {
      source_prefix: 'slow/',
      pipeline_name: 'SLOW',
      transfer_type: 'S3',
      source_bucket: source,
      destination_bucket: destination,
    });
    await kit.putObject(source, 'slow/big.csv', specContent('slow'));
    const gate = new Gate();
    const visibilityTimeoutSeconds = 2;
    const { events } = await kit.startService(
      world,
      { visibilityTimeoutSeconds, heartbeatIntervalSeconds: 1 },
      { crypto: gatedContent(gate) },
    );
    await kit.sendFlag(world, 'slow/pipeline_success.flag');
    await waitFor(() => events.of('message_received').length === 1);

    // Hold the transfer for more than twice the visibility timeout; other pollers are idle and would
    // receive the message at once if its visibility lapsed.
    const heldSince = Date.now();
    await waitFor(
      async () => {
        const depth = await kit.queueDepth(world.queueUrl);
        expect(depth).toEqual({ visible: 0, inFlight: 1 });
        expect(events.of('message_received')).toHaveLength(1);
        return Date.now() - heldSince > visibilityTimeoutSeconds * 2_250;
      },
      { timeoutMs: 10_000, intervalMs: 200, description: 'the hold period' },
    );
    gate.open();
    const processed = await waitFor(() => events.of('message_processed')[0]);
    expect(processed).toMatchObject({ action: 'deleted', reason: 'completed' });
    expect(events.of('message_received')).toHaveLength(1);
    expect(await kit.getText(destination, 'big.csv')).toBe(specContent('slow'));
  });

  it('graceful stop drains the message in flight: it completes and is deleted before stop() resolves', async () => {
    const world = await kit.world();
    const [source, destination] = await Promise.all([kit.bucket('source'), kit.bucket('destination')]);
    await kit.putRule(world, {
      source_prefix: 'drain/',
      pipeline_name: 'DRAIN',
      transfer_type: 'S3',
      source_bucket: source,
      destination_bucket: destination,
    });
    await kit.putObject(source, 'drain/data.csv', specContent('drain'));
    const gate = new Gate();
    const { service, events } = await kit.startService(world, {}, { crypto: gatedContent(gate) });
    await kit.sendFlag(world, 'drain/pipeline_success.flag');
    await waitFor(() => events.of('message_received').length === 1);

    let stopped = false;
    const stopping = service.stop().then(() => {
      stopped = true;
    });
    await waitFor(
      async () => {
        const health = await fetch(service.metricsUrl.replace('/metrics', '/health'));
        return health.status === 503;
      },
      { description: 'the service to report it is stopping' },
    );
    expect(stopped).toBe(false);
    gate.open();
    await stopping;
    expect(events.of('message_processed')).toEqual([
      expect.objectContaining({ action: 'deleted', reason: 'completed' }),
    ]);
    expect(await kit.getText(destination, 'data.csv')).toBe(specContent('drain'));
    expect(await kit.queueIsEmpty(world.queueUrl)).toBe(true);
  });

  it('stop() aborts what does not finish within the shutdown timeout and leaves the message for redelivery', async () => {
    const world = await kit.world();
    const [source, destination] = await Promise.all([kit.bucket('source'), kit.bucket('destination')]);
    await kit.putRule(world, {
      source_prefix: 'stuck/',
      pipeline_name: 'STUCK',
      transfer_type: 'S3',
      source_bucket: source,
      destination_bucket: destination,
    });
    await kit.putObject(source, 'stuck/data.csv', specContent('stuck'));
    const { service, events } = await kit.startService(
      world,
      { shutdownTimeoutMs: 200, visibilityTimeoutSeconds: 2, heartbeatIntervalSeconds: 1 },
      { crypto: gatedContent(new Gate()) }, // never opened
    );
    const messageId = await kit.sendFlag(world, 'stuck/pipeline_success.flag');
    await waitFor(() => events.of('message_received').length === 1);

    await service.stop();
    expect(events.of('message_processed')).toEqual([
      expect.objectContaining({ messageId, action: 'retained', reason: 'stopping' }),
    ]);
    expect(await kit.keys(destination)).toEqual([]);
    const redelivered = await waitFor(() => kit.receiveOne(world.queueUrl), {
      description: 'redelivery',
    });
    expect(redelivered.MessageId).toBe(messageId);
  });
});
