import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SandboxState } from '../src/sandbox/state-file.ts';
import { EPHEMERAL_PORTS, FLAG_SUFFIX, startTestKit } from '../src/testing/index.ts';
import { type Benchmark, percentile, round, rssMiB } from './lib.ts';

const PORTS = EPHEMERAL_PORTS;

function timeUntilOutput(args: string[], pattern: RegExp, env: NodeJS.ProcessEnv = {}) {
  const started = performance.now();
  const child = spawn(process.execPath, ['bin/egress.js', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = new Promise<number>((resolve, reject) => {
    const check = (chunk: Buffer) => {
      output += chunk;
      if (pattern.test(output)) resolve(performance.now() - started);
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    child.on('exit', (code) => reject(new Error(`exited ${code} before ${pattern}: ${output}`)));
  });
  return { child, ready };
}

async function stop(child: ReturnType<typeof spawn>): Promise<void> {
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** Time from a PutObject returning to its event arriving on a waiting long poll, vs a raw SQS send. */
async function eventLatency(state: SandboxState, samples: number) {
  // The kit on the sandbox's own endpoint: a bucket and a queue of the same name, flag objects notifying it.
  const kit = await startTestKit({
    target: { region: state.region, endpoint: state.aws.endpoint, credentials: state.aws },
  });
  const { s3, sqs } = kit.clients;
  const bucket = `bench-latency-${Date.now()}`;
  const provisioned = await kit.provision({
    buckets: [{ name: bucket }],
    queues: [{ name: bucket }],
    notifications: [{ bucket, queue: bucket, suffix: FLAG_SUFFIX }],
  });
  const QueueUrl = provisioned.queues[bucket]!.url;
  const receiveOne = async () => {
    for (;;) {
      const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 5 }));
      const message = Messages?.[0];
      if (!message) continue;
      const arrived = performance.now();
      await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle }));
      if (message.Body?.includes('TestEvent')) continue;
      return arrived;
    }
  };
  const flag: number[] = [];
  const raw: number[] = [];
  for (let i = 0; i < samples; i++) {
    const waiting = receiveOne();
    await new Promise((r) => setTimeout(r, 20));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `run-${i}/pipeline_success.flag`, Body: '' }));
    const returned = performance.now();
    flag.push((await waiting) - returned);

    const waitingRaw = receiveOne();
    await new Promise((r) => setTimeout(r, 20));
    const sent = performance.now();
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'raw' }));
    raw.push((await waitingRaw) - sent);
  }
  await kit.stop();
  return { flag, raw };
}

export const sandboxBenchmark: Benchmark = {
  name: 'sandbox',
  description:
    'Sandbox start-up (egress sandbox --no-demo until "sandbox ready"), idle RSS, and S3 event latency (PutObject returned → event on a waiting long poll).',
  async run() {
    const floor = timeUntilOutput(['--help'], /Usage: egress/);
    const floorMs = await floor.ready;
    await new Promise((r) => floor.child.on('exit', r));

    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'bench-sandbox-'));
    const sandbox = timeUntilOutput(
      ['sandbox', '--no-demo', '--state-dir', stateDir],
      /sandbox ready/,
      PORTS,
    );
    const readyMs = await sandbox.ready;
    // Let start-up garbage settle before reading the idle footprint.
    await new Promise((r) => setTimeout(r, 3000));
    const idleRss = await rssMiB(sandbox.child.pid!);
    const state = JSON.parse(await readFile(path.join(stateDir, 'sandbox.json'), 'utf8')) as SandboxState;
    const latency = await eventLatency(state, 30);
    await stop(sandbox.child);
    await rm(stateDir, { recursive: true, force: true });

    // The same sandbox with V8's young generation capped (docs/performance.md, memory): the
    // semi-spaces grown during start-up are the largest share of idle RSS that a flag can remove.
    const smallHeap = '--max-semi-space-size=1';
    const smallDir = await mkdtemp(path.join(os.tmpdir(), 'bench-sandbox-'));
    const small = timeUntilOutput(['sandbox', '--no-demo', '--state-dir', smallDir], /sandbox ready/, {
      ...PORTS,
      NODE_OPTIONS: smallHeap,
    });
    await small.ready;
    await new Promise((r) => setTimeout(r, 3000));
    const smallIdleRss = await rssMiB(small.child.pid!);
    await stop(small.child);
    await rm(smallDir, { recursive: true, force: true });

    const p50 = round(percentile(latency.flag, 50));
    const p95 = round(percentile(latency.flag, 95));
    const rawP50 = round(percentile(latency.raw, 50));
    return {
      benchmark: 'sandbox',
      description: this.description,
      figures: [
        {
          name: 'sandbox ready (spawn → "sandbox ready")',
          value: round(readyMs, 0),
          unit: 'ms',
          floor: {
            name: '`egress --help` (process + tsx start)',
            value: round(floorMs, 0),
            ratio: round(readyMs / floorMs),
          },
          goal: { text: '< 2000 ms on 2 cores', met: readyMs < 2000 },
        },
        {
          name: 'idle RSS of the sandbox process',
          value: idleRss,
          unit: 'MiB',
          goal: { text: '< 150 MiB', met: idleRss < 150 },
        },
        {
          name: `idle RSS with NODE_OPTIONS=${smallHeap}`,
          value: smallIdleRss,
          unit: 'MiB',
          floor: { name: 'default V8 flags', value: idleRss, ratio: round(smallIdleRss / idleRss) },
          goal: { text: '< 150 MiB', met: smallIdleRss < 150 },
        },
        {
          name: 'S3 event latency p50 (PutObject returned → event received)',
          value: p50,
          unit: 'ms',
          floor: {
            name: 'raw SendMessage → receive p50',
            value: rawP50,
            ratio: round(p50 / Math.max(rawP50, 0.01)),
          },
          goal: { text: 'within 50 ms', met: p50 < 50 },
        },
        {
          name: 'S3 event latency p95',
          value: p95,
          unit: 'ms',
          goal: { text: 'within 50 ms', met: p95 < 50 },
        },
      ],
      notes: [
        'Where the idle memory goes, and the options: `node --import tsx bench/memory/breakdown.ts`, summarised in docs/performance.md.',
      ],
    };
  },
};
