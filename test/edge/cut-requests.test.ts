import { CreateTableCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CUT_ATTACKS,
  type CutAttack,
  cutRequest,
  type EdgeFixtures,
  edgeAnswers,
} from '../../scripts/chaos/edge-attacks.ts';
import { LEVEL, LogCapture } from '../../scripts/chaos/logs.ts';
import { createBucket } from '../../src/aws/buckets.ts';
import {
  createDynamoClient,
  createS3Client,
  createSqsClient,
  createSsmClient,
  createStsClient,
} from '../../src/aws/clients.ts';
import { type Edge, startEdge } from '../../src/edge/index.ts';
import { uniqueName } from '../../src/testing/index.ts';
import { waitFor } from '../../src/util/wait.ts';

/*
 * Issue 12, item 1: a request cut off at any point — inside the head, after it, mid-body, after the
 * body before the answer, during a long poll, during a streamed GET — must never take the edge (and
 * the whole sandbox process with it) down, for every service the edge fronts; afterwards the
 * service still works, nothing was half-applied, and no connection is left behind.
 */

async function createFixtures(edge: Edge) {
  const s3 = createS3Client(edge.target);
  const sqs = createSqsClient(edge.target);
  const dynamo = createDynamoClient(edge.target);
  const bucket = uniqueName('cut');
  await createBucket(s3, bucket);
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: 'large.bin', Body: Buffer.alloc(4 * 1024 * 1024, 3) }),
  );
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('cut') }));
  const table = uniqueName('cut');
  await dynamo.send(
    new CreateTableCommand({
      TableName: table,
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const fixtures: EdgeFixtures = {
    region: edge.region,
    bucket,
    largeObjectKey: 'large.bin',
    queueUrl: queue.QueueUrl!,
    table,
    hashKey: 'id',
  };
  return { fixtures, s3, sqs, dynamo };
}

let edge: Edge;
let logs: LogCapture;
let clients: Awaited<ReturnType<typeof createFixtures>>;
beforeAll(async () => {
  logs = new LogCapture('edge');
  edge = await startEdge({ port: 0, logger: logs.logger });
  clients = await createFixtures(edge);
});
afterAll(async () => {
  for (const client of [clients?.s3, clients?.sqs, clients?.dynamo]) client?.destroy();
  await edge?.stop();
});

/** A normal call to the attacked service, made right after the cut. */
async function serviceStillWorks(attack: CutAttack, fixtures: EdgeFixtures): Promise<void> {
  const tag = uniqueName('after');
  switch (attack.service) {
    case 'DynamoDB': {
      await clients.dynamo.send(
        new PutItemCommand({ TableName: fixtures.table, Item: { id: { S: tag }, v: { S: 'ok' } } }),
      );
      const got = await clients.dynamo.send(
        new GetItemCommand({ TableName: fixtures.table, Key: { id: { S: tag } } }),
      );
      expect(got.Item?.v?.S).toBe('ok');
      return;
    }
    case 'SQS': {
      const queue = await clients.sqs.send(new CreateQueueCommand({ QueueName: tag }));
      await clients.sqs.send(new SendMessageCommand({ QueueUrl: queue.QueueUrl, MessageBody: tag }));
      const got = await clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl, WaitTimeSeconds: 5 }),
      );
      expect(got.Messages?.[0]?.Body).toBe(tag);
      return;
    }
    case 'S3': {
      await clients.s3.send(new PutObjectCommand({ Bucket: fixtures.bucket, Key: tag, Body: tag }));
      const got = await clients.s3.send(new GetObjectCommand({ Bucket: fixtures.bucket, Key: tag }));
      expect(await got.Body!.transformToString()).toBe(tag);
      return;
    }
    case 'SSM': {
      const ssm = createSsmClient(edge.target);
      try {
        await ssm.send(new PutParameterCommand({ Name: `/${tag}`, Value: tag, Type: 'String' }));
        const got = await ssm.send(new GetParameterCommand({ Name: `/${tag}` }));
        expect(got.Parameter?.Value).toBe(tag);
      } finally {
        ssm.destroy();
      }
      return;
    }
    case 'STS': {
      const sts = createStsClient(edge.target);
      try {
        const role = await sts.send(
          new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::123456789012:role/after', RoleSessionName: tag }),
        );
        expect(role.Credentials?.AccessKeyId).toMatch(/^ASIA/);
      } finally {
        sts.destroy();
      }
      return;
    }
  }
}

describe('requests cut off at any point', () => {
  it.each(CUT_ATTACKS.map((attack) => [attack.service, attack.operation, attack.cut, attack] as const))(
    '%s %s cut %s: the edge stays up and the service still works',
    async (_service, _operation, _cut, attack) => {
      await attack.run(edge.endpoint, clients.fixtures);
      expect(await edgeAnswers(edge.endpoint)).toBe(true);
      await serviceStillWorks(attack, clients.fixtures);
    },
  );

  it('a DynamoDB PutItem cut mid-body writes nothing (no half-applied item)', async () => {
    const id = uniqueName('half');
    const body = JSON.stringify({ TableName: clients.fixtures.table, Item: { id: { S: id } } });
    await cutRequest(
      edge.endpoint,
      {
        method: 'POST',
        path: '/',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'DynamoDB_20120810.PutItem',
          'x-amz-date': '20260101T000000Z',
          authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/${edge.region}/dynamodb/aws4_request, SignedHeaders=host, Signature=0`,
        },
        // Everything but the closing braces: a cut there must not be completed by anyone.
        body: body.slice(0, -2),
      },
      'before-answer',
    );
    const got = await clients.dynamo.send(
      new GetItemCommand({ TableName: clients.fixtures.table, Key: { id: { S: id } } }),
    );
    expect(got.Item).toBeUndefined();
  });

  it('a long poll whose client went away does not keep the next message from the other consumers', async () => {
    const queue = await clients.sqs.send(new CreateQueueCommand({ QueueName: uniqueName('poll') }));
    const fixtures = { ...clients.fixtures, queueUrl: queue.QueueUrl! };
    const poll = CUT_ATTACKS.find(
      (attack) => attack.operation.startsWith('ReceiveMessage') && attack.cut === 'before-answer',
    )!;
    await poll.run(edge.endpoint, fixtures);
    await clients.sqs.send(
      new SendMessageCommand({ QueueUrl: queue.QueueUrl, MessageBody: 'for the living' }),
    );
    // The dead poll asked for 120 s of invisibility; a live consumer must still get the message now.
    const received = await waitFor(
      async () => {
        const got = await clients.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl, WaitTimeSeconds: 1 }),
        );
        return got.Messages?.[0];
      },
      { timeoutMs: 10_000, description: 'the message to reach a live consumer' },
    );
    expect(received.Body).toBe('for the living');
    expect(logs.find(LEVEL.info, { msg: /long poll/, queueUrl: queue.QueueUrl! })).toHaveLength(1);
  });
});

describe('repeated cuts leave nothing behind', () => {
  const tcpHandles = () =>
    process.getActiveResourcesInfo().filter((resource) => resource === 'TCPSocketWrap').length;

  it('every cut, five times over: no socket stays open and the edge still answers', async () => {
    const own = await startEdge({ port: 0 });
    const setup = await createFixtures(own);
    for (const client of [setup.s3, setup.sqs, setup.dynamo]) client.destroy();
    try {
      // The SDK clients' sockets close asynchronously: the baseline is the count once it stops falling.
      let previous = Number.POSITIVE_INFINITY;
      const baseline = await waitFor(
        async () => {
          await edgeAnswers(own.endpoint);
          const now = tcpHandles();
          const stable = now >= previous;
          previous = now;
          return stable ? now : undefined;
        },
        { description: 'a stable socket count', intervalMs: 200 },
      );
      for (let round = 0; round < 5; round++) {
        for (const attack of CUT_ATTACKS) await attack.run(own.endpoint, setup.fixtures);
      }
      await waitFor(() => tcpHandles() <= baseline, {
        timeoutMs: 15_000,
        description: `the socket count to return to ${baseline} (now ${tcpHandles()})`,
      });
      expect(await edgeAnswers(own.endpoint)).toBe(true);
    } finally {
      await own.stop();
    }
  }, 120_000);
});
