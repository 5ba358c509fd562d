/**
 * The compose stack's `init` and `stack-file` commands, run here as they are written in
 * docker-compose.yml against the embedded edge instead of LocalStack (no container engine here):
 * init provisions the environment and the original's rules; stack-file writes a sandbox.json that
 * `egress env` and the external BDD target can read.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createDocumentClient } from '../../src/aws/clients.ts';
import { type Edge, startEdge } from '../../src/edge/index.ts';
import type { SandboxState } from '../../src/sandbox/state-file.ts';
import { runCli } from '../helpers/cli.ts';

interface Service {
  command: string[];
}
const ROOT = path.resolve(import.meta.dirname, '../..');
const compose = parse(await readFile(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const LOCALSTACK = 'http://localstack:4566';

let edge: Edge;
let dir: string;
beforeAll(async () => {
  edge = await startEdge({ port: 0 });
  dir = await mkdtemp(path.join(os.tmpdir(), 'stack-file-'));
});
afterAll(async () => {
  await edge?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A compose command with LocalStack replaced by the edge and each /data/… path by a temp dir. */
function localised(command: string[]): string[] {
  return command.map((arg) =>
    arg === LOCALSTACK
      ? edge.endpoint
      : arg.startsWith('/data/')
        ? path.join(dir, arg.slice('/data/'.length))
        : arg,
  );
}

async function runToEnd(args: string[]) {
  const cli = runCli(args, {
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: edge.region,
    AWS_ENDPOINT_URL: '',
  });
  const { code } = await cli.exited;
  return { code, output: cli.output() };
}

describe('the compose stack’s init and stack-file commands', () => {
  it('init provisions the environment, then the 97 rules', async () => {
    const init = await runToEnd(localised(compose.services.init!.command));
    expect(init.output).toContain('config/sandbox/environment.yml:');
    expect(init.output).toContain('config/sandbox/rules.yml:');
    expect(init.code).toBe(0);
    const documents = createDocumentClient(edge.target);
    const { Items } = await documents.send(new ScanCommand({ TableName: 'data-egress' }));
    expect(Items).toHaveLength(97);
    documents.destroy();
  }, 120_000);

  it('stack-file describes the stack in sandbox.json, which `egress env` then reads', async () => {
    await mkdir(path.join(dir, 'logs'), { recursive: true });
    const described = await runToEnd(localised(compose.services['stack-file']!.command));
    expect(described.output).toContain('stack described in');
    expect(described.code).toBe(0);
    const state = JSON.parse(await readFile(path.join(dir, 'state', 'sandbox.json'), 'utf8')) as SandboxState;
    expect(state).toMatchObject({
      region: edge.region,
      aws: { endpoint: edge.endpoint, accessKeyId: 'test', secretAccessKey: 'test' },
      table: 'data-egress',
      queue: { arn: `arn:aws:sqs:${edge.region}:000000000000:data-egress` },
      deadLetterQueue: { arn: `arn:aws:sqs:${edge.region}:000000000000:data-egress-dlq` },
      dks: { url: 'https://stub-dks:8443' },
      nifi: { url: 'https://stub-nifi:8091', bucket: 'stub-hdfs-local' },
      tls: { ca: path.join(dir, 'certs', 'ca.pem'), cert: path.join(dir, 'certs', 'client.pem') },
      sftRoot: path.join(dir, 'sft-root'),
      metrics: { url: 'http://egress:9464/metrics' },
      logs: path.join(dir, 'logs', 'egress.log'),
    });
    expect(state.buckets).toEqual(expect.arrayContaining(['source', 'destination', 'stub-hdfs-local']));

    const env = await runToEnd(['env', '--state-dir', path.join(dir, 'state')]);
    expect(env.code).toBe(0);
    expect(env.output).toContain(`export AWS_ENDPOINT_URL='${edge.endpoint}'`);
    expect(env.output).toContain(`export EGRESS_QUEUE_URL='${state.queue.url}'`);
  }, 60_000);

  it('stack-file refuses, with exit code 2, a stack whose queue does not exist', async () => {
    const command = [...localised(compose.services['stack-file']!.command), '--queue', 'no-such-queue'];
    const result = await runToEnd(
      command.map((arg) => (arg.endsWith('/state') ? path.join(dir, 'other-state') : arg)),
    );
    expect(result.code).toBe(2);
    expect(result.output).toContain('queue no-such-queue does not exist');
  }, 60_000);
});
