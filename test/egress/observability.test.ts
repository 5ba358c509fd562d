import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKit, type TestKit } from '../../src/testing/index.ts';

let kit: TestKit;
beforeAll(async () => {
  kit = await startTestKit();
});
afterAll(async () => {
  await kit.stop();
});

/** A stand-in Pushgateway that records each request. */
async function fakePushgateway(): Promise<{
  url: string;
  requests: { method: string; url: string; body: string }[];
  close(): Promise<void>;
}> {
  const requests: { method: string; url: string; body: string }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', body: Buffer.concat(chunks).toString() });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('observability', () => {
  it('serves both file counters in /metrics before any transfer, and /health', async () => {
    const world = await kit.world();
    const { service } = await kit.startService(world);
    expect(service.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const metrics = await fetch(service.metricsUrl);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    for (const name of ['data_egress_files_sent_success_total', 'data_egress_files_sent_failure_total']) {
      expect(text).toContain(`# TYPE ${name} counter`);
    }
    expect(text).toContain('# TYPE data_egress_object_transfer_duration_seconds histogram');
    const health = await fetch(service.metricsUrl.replace('/metrics', '/health'));
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', messagesInFlight: 0 });
    expect((await fetch(service.metricsUrl.replace('/metrics', '/other'))).status).toBe(404);
  });

  it('counts failures with the original labels', async () => {
    const world = await kit.world();
    const source = await kit.bucket('source');
    await kit.putRule(world, {
      source_prefix: 'fail/',
      pipeline_name: 'FAIL',
      recipient_name: 'Someone',
      transfer_type: 'S3',
      source_bucket: source,
      destination_bucket: 'bucket-that-does-not-exist',
      destination_prefix: 'x/',
    });
    await kit.putObject(source, 'fail/a.csv', 'a');
    const { service, events } = await kit.startService(world);
    await kit.sendFlag(world, 'fail/pipeline_success.flag');
    const { waitFor } = await import('../../src/util/wait.ts');
    await waitFor(() => events.of('message_processed')[0]);
    const text = await (await fetch(service.metricsUrl)).text();
    expect(text).toContain(
      'data_egress_files_sent_failure_total{source_prefix="fail/",pipeline_name="FAIL",destination_prefix="x/",recipient="Someone",transfer_type="S3"} 1',
    );
    expect(text).toContain('data_egress_messages_total{outcome="retained"} 1');
  });

  it('PUTs the registry to the Pushgateway under job data-egress and the instance, with a final push on stop', async () => {
    const gateway = await fakePushgateway();
    try {
      const world = await kit.world();
      const { service } = await kit.startService(world, {
        pushgatewayUrl: gateway.url,
        pushgatewayInstance: 'sandbox',
        pushgatewayIntervalMs: 3_600_000,
      });
      await service.stop();
      expect(gateway.requests).toEqual([
        expect.objectContaining({ method: 'PUT', url: '/metrics/job/data-egress/instance/sandbox' }),
      ]);
      expect(gateway.requests[0]?.body).toContain('data_egress_files_sent_success_total');
    } finally {
      await gateway.close();
    }
  });
});
