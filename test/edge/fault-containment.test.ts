import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rawHttp } from '../../scripts/chaos/edge-attacks.ts';
import { waitFor } from '../../src/util/wait.ts';

/*
 * Issue 12, item 1: an emulator that throws from one of its own callbacks (here dynalite's
 * `if (err) throw err` after a storage failure, injected by the fixture) fails that request with a
 * 500 and a log line naming the request — it does not end the process. An exception that belongs
 * to no request still ends the process, as it would without the edge. The edge runs in a child
 * process: an uncaught exception is exactly what is being tested, and the test runner would report
 * it as its own.
 */

const FIXTURE = path.resolve('test/edge/fixtures/faulty-emulator-edge.ts');

interface Fixture {
  child: ChildProcess;
  endpoint: string;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let running: Fixture | undefined;
afterEach(() => {
  running?.child.kill('SIGKILL');
  running = undefined;
});

async function startFixture(): Promise<Fixture> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const endpoint = await waitFor(() => /\{"endpoint":"([^"]+)"\}/.exec(output)?.[1], {
    timeoutMs: 20_000,
    description: `the fixture edge to listen (output: ${output})`,
  });
  running = { child, endpoint, output: () => output, exited };
  return running;
}

function dynamo(endpoint: string, operation: string, input: object) {
  return rawHttp(endpoint, {
    method: 'POST',
    path: '/',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `DynamoDB_20120810.${operation}`,
      'x-amz-date': '20260101T000000Z',
      authorization:
        'AWS4-HMAC-SHA256 Credential=test/20260101/eu-west-2/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: JSON.stringify(input),
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('fault containment', () => {
  it('an emulator that throws from a callback fails that request with a 500 and a log line; the process lives on', async () => {
    const fixture = await startFixture();
    const created = await dynamo(fixture.endpoint, 'CreateTable', {
      TableName: 'faulty',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
    expect(created.status).toBe(200);

    const exploded = await dynamo(fixture.endpoint, 'PutItem', {
      TableName: 'faulty',
      Item: { id: { S: 'boom' }, explode: { BOOL: true } },
    });
    expect(exploded.status).toBe(500);
    expect(exploded.headers['content-type']).toContain('application/x-amz-json-1.0');
    expect(JSON.parse(exploded.body)).toMatchObject({
      __type: 'InternalError',
      message: expect.stringContaining('injected storage failure'),
    });
    const line = await waitFor(
      () =>
        fixture
          .output()
          .split('\n')
          .find((text) => text.includes('"edge request failed"')),
      { description: 'the error line' },
    );
    expect(JSON.parse(line)).toMatchObject({
      level: 50,
      request: 'POST /',
      target: 'DynamoDB_20120810.PutItem',
      service: 'dynamodb',
      escaped: true,
      err: { message: 'injected storage failure' },
    });

    // One line for the failure: the 5xx observer does not log what fail() has logged. A refused S3
    // request logs a line of its own afterwards; once it is out, so is anything logged before it.
    await rawHttp(fixture.endpoint, { method: 'GET', path: '/%zz' });
    await waitFor(() => fixture.output().includes('"S3 request refused"'), { description: 'a later line' });
    expect(fixture.output()).not.toContain('edge answered 500');

    // Still serving, DynamoDB included.
    const put = await dynamo(fixture.endpoint, 'PutItem', {
      TableName: 'faulty',
      Item: { id: { S: 'fine' } },
    });
    expect(put.status).toBe(200);
    const got = await dynamo(fixture.endpoint, 'GetItem', {
      TableName: 'faulty',
      Key: { id: { S: 'fine' } },
    });
    expect(JSON.parse(got.body)).toEqual({ Item: { id: { S: 'fine' } } });
    expect(alive(fixture.child.pid!)).toBe(true);
  });

  it('an exception that belongs to no request still ends the process, as without the edge', async () => {
    const fixture = await startFixture();
    expect((await rawHttp(fixture.endpoint, { method: 'GET', path: '/_edge/health' })).status).toBe(200);
    fixture.child.kill('SIGUSR2');
    const exit = await fixture.exited;
    expect(exit.code).toBe(1);
    expect(fixture.output()).toContain('a bug outside the edge');
  });
});
