import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CUT_ATTACKS, type EdgeFixtures, edgeAnswers, rawHttp } from '../../scripts/chaos/edge-attacks.ts';
import { createDocumentClient, createS3Client } from '../../src/aws/clients.ts';
import type { SandboxState } from '../../src/sandbox/state-file.ts';
import { waitFor } from '../../src/util/wait.ts';
import { type CliProcess, EPHEMERAL_PORTS, runCli } from '../helpers/cli.ts';

/*
 * Issue 12, items 1 and 6 against the real thing: `egress sandbox --no-demo` as a child process, as a
 * user starts it. A DynamoDB PutItem, an SQS SendMessage and an S3 PUT cut off mid-body (then every
 * other cut of scripts/chaos/edge-attacks.ts), a cross-site delete and a rebinding read of the edge
 * and the dashboard: after each, the process is alive; at the end a flag is still delivered.
 */

let dir: string;
let cli: CliProcess;
let state: SandboxState;
let s3: S3Client;
let documents: DynamoDBDocumentClient;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sandbox-hostile-'));
  cli = runCli(['sandbox', '--no-demo', '--state-dir', dir], {
    ...EPHEMERAL_PORTS,
    EGRESS_ALLOWED_HOSTS: '',
    EGRESS_ALLOWED_ORIGINS: '',
  });
  await cli.waitForOutput(/sandbox ready/, 60_000);
  state = JSON.parse(await readFile(path.join(dir, 'sandbox.json'), 'utf8')) as SandboxState;
  const target = { region: state.region, endpoint: state.aws.endpoint, credentials: state.aws };
  s3 = createS3Client(target);
  documents = createDocumentClient(target);
}, 90_000);
afterAll(async () => {
  s3?.destroy();
  documents?.destroy();
  if (cli) {
    cli.child.kill('SIGTERM');
    await cli.exited;
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

function alive(): boolean {
  if (cli.child.exitCode !== null || cli.child.signalCode !== null) return false;
  try {
    process.kill(cli.child.pid!, 0);
    return true;
  } catch {
    return false;
  }
}

function fixtures(): EdgeFixtures {
  return {
    region: state.region,
    bucket: 'source',
    largeObjectKey: 'hostile/large.bin',
    queueUrl: state.queue.url,
    table: state.table,
    hashKey: 'source_prefix',
  };
}

const attack = (service: string, operation: string, cut: string) =>
  CUT_ATTACKS.find((a) => a.service === service && a.operation === operation && a.cut === cut)!;

describe('egress sandbox --no-demo against hostile clients', () => {
  it.each([
    ['DynamoDB', 'PutItem', 'mid-body'],
    ['SQS', 'SendMessage', 'mid-body'],
    ['S3', 'PutObject', 'mid-body'],
  ])('a %s %s cut %s leaves the sandbox process alive and serving', async (service, operation, cut) => {
    await attack(service, operation, cut).run(state.aws.endpoint, fixtures());
    expect(await edgeAnswers(state.aws.endpoint)).toBe(true);
    expect(alive(), cli.output().slice(-2000)).toBe(true);
  });

  it('survives every other cut of every service', async () => {
    await s3.send(
      new PutObjectCommand({
        Bucket: 'source',
        Key: 'hostile/large.bin',
        Body: Buffer.alloc(2 * 1024 * 1024),
      }),
    );
    for (const each of CUT_ATTACKS) {
      await each.run(state.aws.endpoint, fixtures());
      expect(alive(), `${each.service} ${each.operation} cut ${each.cut}: ${cli.output().slice(-2000)}`).toBe(
        true,
      );
    }
    expect(await edgeAnswers(state.aws.endpoint)).toBe(true);
  }, 60_000);

  it('refuses a cross-site delete and a rebinding read on the edge and the dashboard', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'source', Key: 'hostile/precious.csv', Body: 'precious' }));
    const deleted = await rawHttp(state.aws.endpoint, {
      method: 'POST',
      path: '/source?delete',
      headers: { origin: 'http://evil.example', 'content-type': 'text/plain' },
      body: '<Delete><Object><Key>hostile/precious.csv</Key></Object></Delete>',
    });
    expect(deleted.status).toBe(403);
    const rebound = await rawHttp(state.aws.endpoint, {
      method: 'GET',
      path: '/source/hostile/precious.csv',
      headers: { host: `evil.example:${new URL(state.aws.endpoint).port}` },
    });
    expect(rebound.status).toBe(403);
    const kept = await s3.send(new GetObjectCommand({ Bucket: 'source', Key: 'hostile/precious.csv' }));
    expect(await kept.Body!.transformToString()).toBe('precious');

    const dashboard = state.dashboard!.url;
    const page = await rawHttp(dashboard, {
      method: 'GET',
      path: '/api/state',
      headers: { host: `evil.example:${new URL(dashboard).port}` },
    });
    expect(page.status).toBe(403);
    expect(page.headers['content-type']).toMatch(/^text\/plain/);
    expect(page.body).toMatch(/^403 Forbidden: Host "evil\.example:\d+" is not a loopback name/);
    const fromPage = await rawHttp(dashboard, {
      method: 'GET',
      path: '/api/state',
      headers: { origin: 'http://evil.example' },
    });
    expect(fromPage.status).toBe(403);
    const own = await rawHttp(dashboard, { method: 'GET', path: '/api/state' });
    expect(own.status).toBe(200);
    const logText = await readFile(state.logs, 'utf8');
    expect(logText.match(/"msg":"cross-site request refused"/g)?.length).toBe(4);
    expect(alive()).toBe(true);
  });

  it('still delivers a flag afterwards: upload → S3 event → egress service → destination', async () => {
    await documents.send(
      new PutCommand({
        TableName: state.table,
        Item: {
          source_prefix: 'hostile/after/',
          pipeline_name: 'HOSTILE',
          transfer_type: 'S3',
          source_bucket: 'source',
          destination_bucket: 'destination',
          destination_prefix: 'hostile-after/',
        },
      }),
    );
    await s3.send(
      new PutObjectCommand({ Bucket: 'source', Key: 'hostile/after/data.csv', Body: 'still here' }),
    );
    await s3.send(
      new PutObjectCommand({ Bucket: 'source', Key: 'hostile/after/pipeline_success.flag', Body: '' }),
    );
    const delivered = await waitFor(
      async () => {
        const got = await s3
          .send(new GetObjectCommand({ Bucket: 'destination', Key: 'hostile-after/data.csv' }))
          .catch(() => undefined);
        return got ? got.Body!.transformToString() : undefined;
      },
      { timeoutMs: 30_000, description: 'the delivery to destination/hostile-after/data.csv' },
    );
    expect(delivered).toBe('still here');
    expect(alive()).toBe(true);
  }, 40_000);
});

describe('the allowed hosts and origins settings', () => {
  it.each([
    ['EGRESS_ALLOWED_HOSTS', 'a b', /EGRESS_ALLOWED_HOSTS: "a b" is not a host name/],
    ['EGRESS_ALLOWED_ORIGINS', 'edge', /EGRESS_ALLOWED_ORIGINS: "edge" is not an origin/],
  ])(
    'an unusable %s=%s stops `egress sandbox` with exit 2 and one line naming it',
    async (name, value, message) => {
      const refused = runCli(['sandbox', '--no-demo', '--state-dir', path.join(dir, `bad-${name}`)], {
        ...EPHEMERAL_PORTS,
        [name]: value,
      });
      const { code } = await refused.exited;
      expect(code).toBe(2);
      expect(refused.output()).toMatch(message);
      expect(refused.output()).not.toMatch(/\n\s+at /);
    },
  );
});
