/**
 * `egress sandbox --aws-endpoint URL`: the sandbox CLI as a child process against an AWS endpoint it
 * did not start (moto), driven by clients it did not write (the AWS CLI), from rule to stub-hdfs.
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand, NoSuchKey } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../src/aws/clients.ts';
import type { SandboxState } from '../../src/sandbox/state-file.ts';
import { waitFor } from '../../src/util/wait.ts';
import { EPHEMERAL_PORTS, runCli } from '../helpers/cli.ts';
import { motoAvailable, useMoto } from '../helpers/moto.ts';

const run = promisify(execFile);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sandbox-endpoint-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('egress sandbox --aws-endpoint with nothing there', () => {
  it('says so in one line and exits 2 after a bounded wait', async () => {
    const cli = runCli(
      ['sandbox', '--no-demo', '--state-dir', path.join(dir, 'none'), '--aws-endpoint', 'http://127.0.0.1:1'],
      { ...EPHEMERAL_PORTS, EGRESS_AWS_ENDPOINT_WAIT_SECONDS: '1' },
    );
    const { code } = await cli.exited;
    expect(code).toBe(2);
    expect(cli.output()).toContain(
      'the AWS endpoint http://127.0.0.1:1 did not answer within 1 s (ECONNREFUSED)',
    );
    expect(cli.output()).not.toMatch(/\n\s+at /);
    expect(cli.output()).not.toContain('sandbox ready');
  });

  it('refuses an endpoint that is not an http(s) URL, naming the variable it came from', async () => {
    const cli = runCli(['sandbox', '--no-demo', '--state-dir', path.join(dir, 'bad')], {
      ...EPHEMERAL_PORTS,
      EGRESS_AWS_ENDPOINT_URL: 'localhost:4566',
    });
    expect((await cli.exited).code).toBe(2);
    expect(cli.output()).toContain(
      'EGRESS_AWS_ENDPOINT_URL localhost:4566 must be an http:// or https:// URL',
    );
  });
});

function awsCliMissing(): boolean {
  const missing = spawnSync('aws', ['--version'], { encoding: 'utf8' }).status !== 0;
  if (missing) console.log('sandbox against moto with the AWS CLI skipped: no `aws` command on PATH');
  return missing;
}

describe.skipIf(!motoAvailable('sandbox --aws-endpoint against moto') || awsCliMissing())(
  'egress sandbox --no-demo --aws-endpoint <moto>',
  () => {
    const moto = useMoto();
    const AWS_ENV = {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_DEFAULT_REGION: 'eu-west-2',
      AWS_REGION: 'eu-west-2',
    };
    /** The AWS CLI (v1), as a person would type it, against moto. */
    const aws = (...args: string[]) =>
      run('aws', ['--endpoint-url', moto().endpoint, ...args], { env: AWS_ENV, timeout: 60_000 });

    async function startSandbox(name: string) {
      const stateDir = path.join(dir, name);
      const cli = runCli(
        ['sandbox', '--no-demo', '--state-dir', stateDir, '--aws-endpoint', moto().endpoint],
        {
          ...EPHEMERAL_PORTS,
          AWS_ACCESS_KEY_ID: '',
          AWS_SECRET_ACCESS_KEY: '',
          AWS_REGION: 'eu-west-2',
        },
      );
      await cli.waitForOutput(/sandbox ready/, 120_000);
      const stateFile = path.join(stateDir, 'sandbox.json');
      const state = JSON.parse(await readFile(stateFile, 'utf8')) as SandboxState;
      return { cli, state, stateFile };
    }

    async function stopSandbox(cli: ReturnType<typeof runCli>) {
      cli.child.kill('SIGTERM');
      expect(await cli.exited).toEqual({ code: 0, signal: null });
    }

    it('becomes ready on moto, and a flag uploaded with the AWS CLI is delivered to S3 and through the SFT agent to stub-hdfs', async () => {
      const { cli, state, stateFile } = await startSandbox('first');
      try {
        expect(cli.output()).toContain(
          `using the AWS endpoint ${moto().endpoint} (no embedded edge; access key test)`,
        );
        // sandbox.json tells the truth: moto's endpoint, account and queue URL form, the credentials used.
        expect(state.aws).toEqual({
          endpoint: moto().endpoint,
          accessKeyId: 'test',
          secretAccessKey: 'test',
        });
        expect(state.queue).toEqual({
          url: `${moto().endpoint}/123456789012/data-egress`,
          arn: 'arn:aws:sqs:eu-west-2:123456789012:data-egress',
        });
        expect(state.deadLetterQueue.arn).toBe('arn:aws:sqs:eu-west-2:123456789012:data-egress-dlq');
        expect((await stat(stateFile)).mode & 0o777).toBe(0o600);

        const id = randomUUID().slice(0, 8);
        const prefix = `cli-${id}/`;
        const name = `report ${id}.csv`;
        const body = Buffer.from(`id,value\n1,${id}\n2,moto\n`);
        const rule = (pipeline: string, columns: Record<string, string>) =>
          aws(
            'dynamodb',
            'put-item',
            '--table-name',
            state.table,
            '--item',
            JSON.stringify(
              Object.fromEntries(
                Object.entries({
                  source_prefix: prefix,
                  pipeline_name: pipeline,
                  recipient_name: 'DandARed',
                  source_bucket: 'source',
                  ...columns,
                }).map(([column, value]) => [column, { S: value }]),
              ),
            ),
          );
        await rule('CLI_S3', {
          transfer_type: 'S3',
          destination_bucket: 'destination',
          destination_prefix: `out-${id}/`,
        });
        await rule('CLI_SFT', { transfer_type: 'SFT', destination_prefix: '/data-egress/sas/' });
        const local = path.join(dir, name);
        const flag = path.join(dir, 'pipeline_success.flag');
        await writeFile(local, body);
        await writeFile(flag, '');
        await aws('s3', 'cp', local, `s3://source/${prefix}${name}`);
        await aws('s3', 'cp', flag, `s3://source/${prefix}pipeline_success.flag`);

        const s3 = createS3Client({
          region: state.region,
          endpoint: state.aws.endpoint,
          credentials: { accessKeyId: state.aws.accessKeyId, secretAccessKey: state.aws.secretAccessKey },
        });
        const read = async (bucket: string, key: string) => {
          try {
            const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
            return Buffer.from(await object.Body!.transformToByteArray());
          } catch (error) {
            if (error instanceof NoSuchKey) return undefined;
            throw error;
          }
        };
        const delivered = await waitFor(() => read('destination', `out-${id}/${name}`), {
          timeoutMs: 60_000,
          intervalMs: 200,
          description: `s3://destination/out-${id}/${name}`,
        });
        expect(delivered.equals(body)).toBe(true);
        const hdfsKey = `internal/DandARed/inbound/Dataworks/UCFS/tactical/${name}`;
        const received = await waitFor(() => read(state.nifi!.bucket, hdfsKey), {
          timeoutMs: 60_000,
          intervalMs: 200,
          description: `s3://${state.nifi!.bucket}/${hdfsKey}`,
        });
        expect(received.equals(body)).toBe(true);
        // The AWS CLI sees the same object where the stub NiFi put it.
        const { stdout } = await aws(
          's3',
          'ls',
          `s3://${state.nifi!.bucket}/internal/DandARed/inbound/Dataworks/UCFS/tactical/`,
        );
        expect(stdout).toContain(name);
        s3.destroy();
      } finally {
        await stopSandbox(cli);
      }
    }, 240_000);

    it('provisions idempotently: a second sandbox on the same endpoint creates nothing', async () => {
      const { cli } = await startSandbox('second');
      try {
        expect(cli.output()).toMatch(/provisioned \d+ resources \(0 created or updated\)/);
      } finally {
        await stopSandbox(cli);
      }
    }, 180_000);
  },
);
