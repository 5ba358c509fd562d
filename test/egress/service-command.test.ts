import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRoutingTable } from '../../src/aws/provisioning/routing-table.ts';
import { startTestKit, type TestKit, uniqueName } from '../../src/testing/index.ts';
import { runCli } from '../helpers/cli.ts';

let t: TestKit;
beforeAll(async () => {
  t = await startTestKit();
});
afterAll(async () => {
  await t.stop();
});

function env(queueUrl: string, table: string): NodeJS.ProcessEnv {
  return {
    AWS_ENDPOINT_URL: t.edge.endpoint,
    EGRESS_QUEUE_URL: queueUrl,
    EGRESS_TABLE: table,
    EGRESS_METRICS_PORT: '0',
    EGRESS_WAIT_TIME_SECONDS: '1',
  };
}

describe('egress service (the command)', () => {
  it('exits 2 naming the queue and the table that do not exist', async () => {
    const missingQueue = `${t.edge.endpoint.replace('127.0.0.1', 'sqs.eu-west-2.localhost')}/000000000000/${uniqueName('nope')}`;
    const cli = runCli(['service'], env(missingQueue, uniqueName('no-table')));
    expect((await cli.exited).code).toBe(2);
    expect(cli.output()).toMatch(/EGRESS_QUEUE_URL: the queue .* does not exist/);
    expect(cli.output()).toMatch(/EGRESS_TABLE: the table no-table-\w+ does not exist/);
    expect(cli.output()).not.toMatch(/\n\s+at /);
  });

  it('starts when they exist, and stops cleanly on SIGTERM', async () => {
    const { QueueUrl } = await t.clients.sqs.send(new CreateQueueCommand({ QueueName: uniqueName('svc') }));
    const table = uniqueName('rules');
    await createRoutingTable(t.clients.dynamo, table);
    const cli = runCli(['service'], env(QueueUrl!, table));
    await cli.waitForOutput(/egress service running/);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.output()).toMatch(/egress service stopped/);
  });
});
