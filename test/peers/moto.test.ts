import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { createBucket } from '../../src/aws/buckets.ts';
import { createS3Client, createSqsClient } from '../../src/aws/clients.ts';
import { EMULATOR_CREDENTIALS } from '../../src/aws/target.ts';
import { MotoUnavailableError, motoPythonCandidates, PEERS_DIR, startMoto } from '../../src/peers/moto.ts';
import { waitFor } from '../../src/util/wait.ts';
import { listening } from '../helpers/listening.ts';
import { motoAvailable, useMoto } from '../helpers/moto.ts';

describe('where moto is looked for', () => {
  it('is the project venv, then python3 on PATH; EGRESS_MOTO_PYTHON alone when set', () => {
    expect(motoPythonCandidates({})).toEqual([path.join(PEERS_DIR, 'bin/python'), 'python3']);
    expect(motoPythonCandidates({ EGRESS_MOTO_PYTHON: '/opt/py/bin/python' })).toEqual([
      '/opt/py/bin/python',
    ]);
  });

  it('reports every interpreter it tried, and how to install moto, when none works', async () => {
    const error = await startMoto({ pythons: ['/nonexistent/python', '/bin/false'] }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MotoUnavailableError);
    const message = (error as Error).message;
    expect(message).toContain('/nonexistent/python: not found');
    expect(message).toContain('/bin/false: exited with 1');
    expect(message).toContain('npm run peers');
  });
});

describe.skipIf(!motoAvailable('startMoto() tests'))('startMoto()', () => {
  const moto = useMoto();

  it('serves AWS APIs on a free loopback port, with moto’s own account and queue URL form', async () => {
    const server = moto();
    expect(server.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const target = {
      region: 'eu-west-2',
      endpoint: server.endpoint,
      credentials: { ...EMULATOR_CREDENTIALS },
    };
    const s3 = createS3Client(target);
    const sqs = createSqsClient(target);
    await createBucket(s3, 'peer-check');
    const { Buckets } = await s3.send(new ListBucketsCommand({}));
    expect(Buckets?.map((b) => b.Name)).toContain('peer-check');
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'peer-check' }));
    expect(QueueUrl).toBe(`${server.endpoint}/123456789012/peer-check`);
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    expect(Attributes?.QueueArn).toBe('arn:aws:sqs:eu-west-2:123456789012:peer-check');
    s3.destroy();
    sqs.destroy();
  });

  it('stops: the process exits and the port closes', async () => {
    const server = await startMoto();
    expect(await listening(server.port)).toBe(true);
    await server.stop();
    expect(server.process.exitCode ?? server.process.signalCode).not.toBeNull();
    expect(await listening(server.port)).toBe(false);
    await server.stop(); // twice is fine
  });

  it('stops when the process that started it dies without stopping it (SIGKILL)', async () => {
    const script = [
      `import { startMoto } from ${JSON.stringify(path.resolve('src/peers/moto.ts'))};`,
      'const server = await startMoto();',
      "console.log('PORT ' + server.port);",
      'setInterval(() => {}, 1000);',
    ].join('\n');
    const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    parent.stdout!.on('data', (chunk) => {
      output += chunk;
    });
    const port = Number(
      await waitFor(() => /PORT (\d+)/.exec(output)?.[1], { timeoutMs: 60_000, description: 'moto started' }),
    );
    expect(await listening(port)).toBe(true);
    parent.kill('SIGKILL');
    await waitFor(async () => !(await listening(port)), {
      timeoutMs: 15_000,
      intervalMs: 100,
      description: `moto on port ${port} to stop after its parent was killed`,
    });
  }, 90_000);
});

describe.skipIf(!motoAvailable('startMoto() log file test'))('startMoto({ logFile })', () => {
  it('creates the log file’s directory, and appends moto’s own output there', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'moto-log-'));
    const logFile = path.join(dir, 'not-yet/moto.log');
    const server = await startMoto({ logFile });
    try {
      expect(existsSync(logFile)).toBe(true);
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('startMoto() options', () => {
  it.each([0, -1, 600_001, Number.NaN])('refuses readyTimeoutMs %s, naming the limit', async (value) => {
    await expect(startMoto({ readyTimeoutMs: value, pythons: [] })).rejects.toThrow(
      'startMoto: readyTimeoutMs must be 1–600000 ms',
    );
  });
});
