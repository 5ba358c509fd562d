import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CreateTableCommand, type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RawRequest, rawHttp } from '../../scripts/chaos/edge-attacks.ts';
import { LEVEL, LogCapture } from '../../scripts/chaos/logs.ts';
import { createBucket } from '../../src/aws/buckets.ts';
import { createDynamoClient, createS3Client, createSqsClient } from '../../src/aws/clients.ts';
import { type Edge, startEdge } from '../../src/edge/index.ts';
import { uniqueName } from '../../src/testing/index.ts';

/*
 * Issue 12, item 6: a web page must not be able to use the edge through the browser. A cross-site
 * `POST /bucket?delete` with `Content-Type: text/plain` needs no CORS preflight; a DNS-rebinding
 * page reads answers same-origin under its own host name. Both are refused (403, AWS-style body,
 * one warning); SDKs, the AWS CLI and curl — no `Origin`, a loopback `Host` — are not affected.
 */

let edge: Edge;
let logs: LogCapture;
let bucket: string;
let clients: { s3: S3Client; sqs: SQSClient; dynamo: DynamoDBClient };
beforeAll(async () => {
  logs = new LogCapture('edge');
  // Explicitly empty lists: the test must not depend on EGRESS_ALLOWED_* in the environment.
  edge = await startEdge({ port: 0, logger: logs.logger, allowedHosts: [], allowedOrigins: [] });
  clients = {
    s3: createS3Client(edge.target),
    sqs: createSqsClient(edge.target),
    dynamo: createDynamoClient(edge.target),
  };
  bucket = uniqueName('victim');
  await createBucket(clients.s3, bucket);
  await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'precious.csv', Body: 'precious' }));
});
afterAll(async () => {
  for (const client of Object.values(clients ?? {})) client.destroy();
  await edge?.stop();
});

const port = () => edge.port;
const deleteRequest = (extra: Record<string, string>): RawRequest => ({
  method: 'POST',
  path: `/${bucket}?delete`,
  headers: { 'content-type': 'text/plain', ...extra },
  body: '<Delete><Object><Key>precious.csv</Key></Object></Delete>',
});
const stillThere = async () =>
  (await rawHttp(edge.endpoint, { method: 'GET', path: `/${bucket}/precious.csv` })).body === 'precious';

describe('cross-site requests', () => {
  it('a foreign page cannot delete objects with a preflight-free POST ?delete', async () => {
    const answer = await rawHttp(edge.endpoint, deleteRequest({ origin: 'http://evil.example' }));
    expect(answer.status).toBe(403);
    expect(answer.headers['content-type']).toBe('application/xml');
    expect(answer.body).toMatch(
      /<Error><Code>AccessDenied<\/Code><Message>Origin &quot;http:\/\/evil\.example&quot; is not a loopback origin/,
    );
    expect(await stillThere()).toBe(true);
    const warnings = logs.find(LEVEL.warn, {
      msg: 'cross-site request refused',
      origin: 'http://evil.example',
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ request: `POST /${bucket}?delete`, service: 's3' });
  });

  it.each(['null', 'http://127.0.0.1.evil.example:8080', 'https://localhost.evil.example'])(
    'Origin %s is foreign too',
    async (origin) => {
      expect((await rawHttp(edge.endpoint, deleteRequest({ origin }))).status).toBe(403);
      expect(await stillThere()).toBe(true);
    },
  );

  it('a foreign page cannot write DynamoDB items (403 in the JSON protocol, nothing written)', async () => {
    const TableName = uniqueName('t');
    await clients.dynamo.send(
      new CreateTableCommand({
        TableName,
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const answer = await rawHttp(edge.endpoint, {
      method: 'POST',
      path: '/',
      headers: {
        origin: 'http://evil.example',
        'content-type': 'text/plain',
        'x-amz-target': 'DynamoDB_20120810.PutItem',
      },
      body: JSON.stringify({ TableName, Item: { id: { S: 'planted' } } }),
    });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toMatchObject({ __type: 'AccessDeniedException' });
    const got = await clients.dynamo.send(new GetItemCommand({ TableName, Key: { id: { S: 'planted' } } }));
    expect(got.Item).toBeUndefined();
  });

  it.each(['http://127.0.0.1:4570', 'http://localhost:3000', 'http://[::1]:8080', 'https://app.localhost'])(
    'a page of this machine (%s) is served',
    async (origin) => {
      const answer = await rawHttp(edge.endpoint, {
        method: 'GET',
        path: `/${bucket}/precious.csv`,
        headers: { origin },
      });
      expect(answer.status).toBe(200);
      expect(answer.body).toBe('precious');
    },
  );
});

describe('DNS rebinding', () => {
  it.each(['evil.example', 'localhost.evil.example', '192.168.1.20', 'edge'])(
    'Host %s cannot read objects',
    async (name) => {
      const answer = await rawHttp(edge.endpoint, {
        method: 'GET',
        path: `/${bucket}/precious.csv`,
        headers: { host: `${name}:${port()}` },
      });
      expect(answer.status).toBe(403);
      expect(answer.body).toContain('<Code>AccessDenied</Code>');
      expect(answer.body).not.toContain('precious<');
      expect(answer.body).not.toBe('precious');
    },
  );

  it.each(['127.0.0.1', 'localhost', '[::1]', '127.0.0.2'])('Host %s is served', async (name) => {
    const answer = await rawHttp(edge.endpoint, {
      method: 'GET',
      path: `/${bucket}/precious.csv`,
      headers: { host: `${name}:${port()}` },
    });
    expect(answer.status).toBe(200);
  });

  it('SQS queue URLs keep working: their host sqs.<region>.localhost is a loopback name', async () => {
    const queue = await clients.sqs.send(new CreateQueueCommand({ QueueName: uniqueName('q') }));
    const url = new URL(queue.QueueUrl!);
    expect(url.hostname).toBe(`sqs.${edge.region}.localhost`);
    const answer = await rawHttp(edge.endpoint, {
      method: 'POST',
      path: '/',
      headers: {
        host: url.host,
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'AmazonSQS.SendMessage',
      },
      body: JSON.stringify({ QueueUrl: queue.QueueUrl, MessageBody: 'hello' }),
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).MessageId).toBeTruthy();
  });

  it('hosts named in allowedHosts (compose service names) are served', async () => {
    const compose = await startEdge({ port: 0, allowedHosts: ['edge'] });
    try {
      const answer = await rawHttp(compose.endpoint, {
        method: 'GET',
        path: '/_edge/health',
        headers: { host: `edge:${compose.port}` },
      });
      expect(answer.status).toBe(200);
      const other = await rawHttp(compose.endpoint, {
        method: 'GET',
        path: '/_edge/health',
        headers: { host: `evil.example:${compose.port}` },
      });
      expect(other.status).toBe(403);
    } finally {
      await compose.stop();
    }
  });
});

describe('clients that are not browsers', () => {
  it('the AWS CLI still works (aws --endpoint-url http://127.0.0.1:<port> s3 ls / dynamodb list-tables)', async () => {
    const run = promisify(execFile);
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_DEFAULT_REGION: edge.region,
      AWS_REGION: edge.region,
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    };
    const endpoint = `http://127.0.0.1:${port()}`;
    const listed = await run('aws', ['--endpoint-url', endpoint, 's3', 'ls', `s3://${bucket}/`], { env });
    expect(listed.stdout).toContain('precious.csv');
    const tables = await run('aws', ['--endpoint-url', endpoint, 'dynamodb', 'list-tables'], { env });
    expect(JSON.parse(tables.stdout)).toHaveProperty('TableNames');
    expect(
      logs.find(LEVEL.warn, { msg: 'cross-site request refused', request: /s3 ls|list-tables/ }),
    ).toEqual([]);
  }, 60_000);
});
