import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../src/aws/clients.ts';
import { EPHEMERAL_PORTS, runCli } from '../helpers/cli.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sandbox-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('egress sandbox --no-demo', () => {
  it('writes sandbox.json when ready, serves AWS on the endpoint it names, and stops cleanly on SIGTERM', async () => {
    const stateDir = path.join(dir, 'state');
    await mkdir(stateDir, { recursive: true });
    await writeFile(path.join(stateDir, 'sandbox.json'), '{"stale": true}');
    const cli = runCli(['sandbox', '--no-demo', '--state-dir', stateDir], EPHEMERAL_PORTS);
    await cli.waitForOutput(/sandbox ready/);
    const state = JSON.parse(await readFile(path.join(stateDir, 'sandbox.json'), 'utf8'));
    expect(state.stale).toBeUndefined();
    expect(state).toMatchObject({
      region: 'eu-west-2',
      table: 'data-egress',
      aws: { accessKeyId: 'test', secretAccessKey: 'test' },
      queue: {
        url: expect.stringContaining('data-egress'),
        arn: 'arn:aws:sqs:eu-west-2:000000000000:data-egress',
      },
      deadLetterQueue: { arn: 'arn:aws:sqs:eu-west-2:000000000000:data-egress-dlq' },
    });
    for (const file of [state.tls.ca, state.tls.cert, state.tls.key, state.sftRoot]) {
      expect(path.isAbsolute(file)).toBe(true);
      expect(existsSync(file)).toBe(true);
    }
    const s3 = createS3Client({ region: state.region, endpoint: state.aws.endpoint, credentials: state.aws });
    const { Buckets } = await s3.send(new ListBucketsCommand({}));
    expect(Buckets?.map((b) => b.Name)).toEqual(
      expect.arrayContaining(['source', 'destination', 'stub-hdfs-local']),
    );
    s3.destroy();

    cli.child.kill('SIGTERM');
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(processAlive(cli.child.pid!)).toBe(false);
    expect(cli.output()).toMatch(/sandbox stopped/);
  });

  it('exits 2 naming the port and the variable that moves it when the edge port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const cli = runCli(['sandbox', '--no-demo', '--state-dir', path.join(dir, 'taken')], {
        ...EPHEMERAL_PORTS,
        EGRESS_EDGE_PORT: String(port),
      });
      const { code } = await cli.exited;
      expect(code).toBe(2);
      expect(cli.output()).toContain(`port ${port}`);
      expect(cli.output()).toContain('EGRESS_EDGE_PORT');
      expect(cli.output()).not.toMatch(/\n\s+at /);
    } finally {
      blocker.close();
    }
  });

  it('exits 2 with one clear line for an invalid environment file', async () => {
    const file = path.join(dir, 'bad.yml');
    await writeFile(file, 'buckets:\n  - name: NOT_VALID\n');
    const cli = runCli(
      ['sandbox', '--no-demo', '--state-dir', path.join(dir, 'bad'), '--env', file],
      EPHEMERAL_PORTS,
    );
    const { code } = await cli.exited;
    expect(code).toBe(2);
    expect(cli.output()).toMatch(/bad\.yml: line 2, column 11: buckets\[0\]\.name/);
  });
});
