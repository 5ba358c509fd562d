import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEVEL, LogCapture } from '../../scripts/chaos/logs.ts';
import { TcpProxy } from '../../scripts/chaos/tcp-proxy.ts';
import { startTestKit, type TestKit } from '../../src/testing/index.ts';
import { waitFor } from '../../src/util/wait.ts';

/*
 * Issue 12, item 7: while the AWS endpoint was down the service retried every receive at once,
 * forever — 1,475 log lines (1.2 MiB) and 3.15 s of CPU in 10 s. The service talks to the edge
 * through a TCP proxy that goes down (every connection reset, then refused) for a few seconds: the
 * outage must produce one log line when it starts and one when it ends, a handful of receive
 * attempts (exponential back-off from 0.5 s, one poller probing), and a flag sent meanwhile must be
 * delivered once the endpoint is back. Counts only: no CPU or wall-time assertions.
 */

const OUTAGE_MS = 5_000;

let kit: TestKit;
let proxy: TcpProxy;
beforeAll(async () => {
  kit = await startTestKit();
  proxy = await TcpProxy.start(kit.edge.endpoint);
});
afterAll(async () => {
  await proxy?.stop();
  await kit?.stop();
});

describe('the egress service while the AWS endpoint is down', () => {
  it('backs off: one line when the outage starts, a few receive attempts, one line when it ends, then delivers', async () => {
    const world = await kit.world();
    const [source, destination] = [await kit.bucket('source'), await kit.bucket('destination')];
    await kit.putRule(world, {
      source_prefix: 'outage/',
      pipeline_name: 'OUTAGE',
      transfer_type: 'S3',
      source_bucket: source,
      destination_bucket: destination,
      destination_prefix: 'out/',
    });
    const logs = new LogCapture('egress', { level: 'debug' });
    const { events } = await kit.startService(
      world,
      { aws: { ...kit.target, endpoint: proxy.endpoint }, messagesInFlight: 4 },
      { logger: logs.logger },
    );
    // The four pollers are connected through the proxy (long polls in progress).
    await waitFor(() => proxy.stats.accepted >= 4, { description: 'the pollers to connect' });

    const before = logs.lines.length;
    await proxy.down();
    // The length of the outage is the fault itself, not a wait for a condition.
    await delay(OUTAGE_MS);
    const during = logs.lines.slice(before);

    const visible = during.filter((line) => line.level >= LEVEL.info);
    expect(
      visible.map((line) => line.msg),
      'log lines at info or above during the outage',
    ).toEqual(['SQS receive failing: outage started; backing off until it works again']);
    const failedReceives = 1 + during.filter((line) => line.msg === 'SQS receive still failing').length;
    // Without back-off every poller retried at once: hundreds of receives in 5 s. With it: the
    // pollers' receives cut by the outage, then one probe at ≈0.5, 1.5, 3.5 s (jitter shortens).
    expect(failedReceives).toBeGreaterThanOrEqual(2);
    expect(failedReceives).toBeLessThanOrEqual(12);

    // A flag arrives while the endpoint is down (written straight to the edge, behind the proxy).
    await kit.putObject(source, 'outage/data.csv', 'survived the outage');
    await kit.sendFlag(world, 'outage/pipeline_success.flag');
    await proxy.up();

    const processed = await waitFor(() => events.of('message_processed')[0], {
      timeoutMs: 40_000,
      description: 'the flag to be processed after the outage',
    });
    expect(processed).toMatchObject({ action: 'deleted', reason: 'completed' });
    expect(await kit.getText(destination, 'out/data.csv')).toBe('survived the outage');
    const ended = logs.find(LEVEL.info, { msg: 'SQS receive works again: outage ended' });
    expect(ended).toHaveLength(1);
    // The outage is measured from the first failed receive, which the service sees a moment after
    // the proxy went down: a second of slack, so the scheduling of that moment cannot fail the test.
    expect(ended[0]!.durationMs as number).toBeGreaterThanOrEqual(OUTAGE_MS - 1_000);
    expect(ended[0]!.failedReceives as number).toBeLessThanOrEqual(14);
    expect(logs.find(LEVEL.warn, { msg: /outage started/ })).toHaveLength(1);
  }, 90_000);
});
