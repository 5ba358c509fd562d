/**
 * Decrypt-only egress throughput (issue 4): HTME-encrypted objects through the egress service with
 * a `decrypt` rule — its own EgressCrypto, built from `config.dks`, DKS stub over mTLS — vs a floor
 * measured in the same run: GetObject → AES-CTR decipher (node) → multipart Upload, with the
 * service's budget (8 objects at once, 8 MiB parts, 4 parts in flight per object).
 *
 * The edge runs in a child process (`egress edge`), so the emulator does not share an event loop
 * with what is measured; the service and the floor run here, one after the other, alternating.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { DataKeyServiceClient, encryptHtme, htmeMetadata } from '../src/egress/crypto/index.ts';
import { startEgressService } from '../src/egress/service.ts';
import { startTestKit } from '../src/testing/index.ts';
import { ensureCertificates, loadCertificates } from '../src/tls/certificates.ts';
import { waitFor } from '../src/util/wait.ts';
import { startDksStub } from '../stubs/dks/index.ts';
import { type Benchmark, round } from './lib.ts';
import { mapLimit, OBJECT_CONCURRENCY } from './support/concurrency.ts';

const MiB = 1024 * 1024;
const PART_BYTES = 8 * MiB; // the service's default
const QUEUE_SIZE = 4; // the service's default
const ROUNDS = 2;
const GOAL = 0.8;

/** Starts `egress edge --port 0` and returns its endpoint. */
async function startEdgeProcess(): Promise<{ endpoint: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['bin/egress.js', 'edge', '--port', '0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  let output = '';
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk;
      const match = /edge ready on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`egress edge exited ${code}: ${output}`)));
  });
  return { endpoint, child };
}

async function emptyBucket(s3: S3Client, bucket: string): Promise<void> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  const objects = (listed.Contents ?? []).map((object) => ({ Key: object.Key! }));
  if (objects.length > 0)
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects } }));
}

/** The floor: what the service does per object, with nothing around it. */
async function floorCopy(
  s3: S3Client,
  source: string,
  destination: string,
  keys: string[],
  key: Buffer,
  ivs: Map<string, Buffer>,
): Promise<void> {
  await mapLimit(keys, OBJECT_CONCURRENCY, async (name) => {
    const response = await s3.send(new GetObjectCommand({ Bucket: source, Key: name }));
    const body = new PassThrough();
    const upload = new Upload({
      client: s3,
      params: { Bucket: destination, Key: name.replace(/\.enc$/, ''), Body: body },
      partSize: PART_BYTES,
      queueSize: QUEUE_SIZE,
    });
    const decipher = createDecipheriv(`aes-${key.length * 8}-ctr`, key, ivs.get(name)!);
    await Promise.all([pipeline(response.Body as Readable, decipher, body), upload.done()]);
  });
}

export const decryptBenchmark: Benchmark = {
  name: 'decrypt',
  description:
    'Decrypt-only egress: 8 × 32 MiB HTME objects through the egress service (rule decrypt, its own DKS-backed crypto, default budget) vs a floor GET → AES-CTR decipher → multipart PUT with the same budget; edge in its own process; best of 2 alternating rounds.',
  async run() {
    const scale = Number(process.env.BENCH_SCALE ?? '1') || 1;
    const count = Math.max(2, Math.round(8 * scale));
    const size = 32 * MiB;
    const totalMiB = (count * size) / MiB;

    const certsDir = await mkdtemp(path.join(os.tmpdir(), 'bench-decrypt-certs-'));
    const certificates = await ensureCertificates(certsDir);
    const tls = await loadCertificates(certificates);
    const dksStub = await startDksStub({ port: 0, tls });
    const fixtureDks = new DataKeyServiceClient({
      url: dksStub.url,
      tls: { ca: tls.ca, cert: tls.clientCert, key: tls.clientKey },
    });
    const edge = await startEdgeProcess();
    // The kit on the edge child's endpoint: the emulator stays out of the measured event loop.
    const kit = await startTestKit({ target: { endpoint: edge.endpoint } });
    const s3 = kit.clients.s3;
    try {
      const [source, floorBucket, serviceBucket, table, queue] = [
        'dec-src',
        'dec-floor',
        'dec-svc',
        'dec-rules',
        'dec-queue',
      ];
      const provisioned = await kit.provision({
        buckets: [source, floorBucket, serviceBucket].map((name) => ({ name })),
        queues: [{ name: queue }],
        tables: [
          {
            name: table,
            items: {
              inline: [
                {
                  source_prefix: 'decrypt/',
                  pipeline_name: 'DECRYPT_BENCH',
                  transfer_type: 'S3',
                  source_bucket: source,
                  destination_bucket: serviceBucket,
                  destination_prefix: 'decrypt/',
                  decrypt: true,
                },
              ],
            },
          },
        ],
      });
      const world = { queueUrl: provisioned.queues[queue]!.url };
      const flagMessage = JSON.stringify({
        Records: [{ s3: { object: { key: 'decrypt/pipeline_success.flag' } } }],
      });

      // One data key for every object (as a producer's batch), 32 MiB of random content each.
      const dataKey = await fixtureDks.generateDataKey();
      const keys = Array.from(
        { length: count },
        (_, i) => `decrypt/part-${String(i).padStart(3, '0')}.bin.enc`,
      );
      const ivs = new Map<string, Buffer>();
      await mapLimit(keys, 2, async (name) => {
        const { body, envelope } = encryptHtme(randomBytes(size), dataKey);
        ivs.set(name, envelope.iv);
        await new Upload({
          client: s3,
          params: { Bucket: source, Key: name, Body: body, Metadata: htmeMetadata(envelope) },
          partSize: PART_BYTES,
          queueSize: QUEUE_SIZE,
        }).done();
      });

      const service = await startEgressService({
        aws: kit.target,
        queueUrl: world.queueUrl,
        table,
        metricsPort: 0,
        waitTimeSeconds: 1,
        dks: {
          url: dksStub.url,
          caPath: certificates.ca,
          certPath: certificates.clientCert,
          keyPath: certificates.clientKey,
        },
      });
      const completed: number[] = [];
      service.on('message_processed', (event) => {
        if (event.reason === 'completed') completed.push(performance.now());
      });
      // Warm-up: connections, JIT, the DKS key cache (the floor also holds its key in memory).
      const warm = completed.length;
      await kit.sendRaw(world, flagMessage);
      await waitFor(() => completed.length > warm, { timeoutMs: 300_000, description: 'warm-up egress' });
      await emptyBucket(s3, serviceBucket);

      const floorSeconds: number[] = [];
      const serviceSeconds: number[] = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        let started = performance.now();
        await floorCopy(s3, source, floorBucket, keys, dataKey.plaintextDataKey, ivs);
        floorSeconds.push((performance.now() - started) / 1000);
        await emptyBucket(s3, floorBucket);

        const before = completed.length;
        started = performance.now();
        await kit.sendRaw(world, flagMessage);
        await waitFor(() => completed.length > before, {
          timeoutMs: 300_000,
          intervalMs: 5,
          description: 'egress',
        });
        serviceSeconds.push((completed[before]! - started) / 1000);
        // Every object arrived whole (decrypted sizes), before the bucket is emptied for the next round.
        for (const name of keys) {
          const head = await s3.send(
            new HeadObjectCommand({ Bucket: serviceBucket, Key: name.replace(/\.enc$/, '') }),
          );
          if (head.ContentLength !== size) throw new Error(`${name}: ${head.ContentLength} bytes delivered`);
        }
        await emptyBucket(s3, serviceBucket);
      }
      await service.stop();

      const serviceRate = totalMiB / Math.min(...serviceSeconds);
      const floorRate = totalMiB / Math.min(...floorSeconds);
      const ratio = serviceRate / floorRate;
      return {
        benchmark: 'decrypt',
        description: this.description,
        figures: [
          {
            name: `egress service, decrypt rule (${count} × 32 MiB, flag message → message completed)`,
            value: round(serviceRate, 1),
            unit: 'MiB/s',
            floor: {
              name: 'GET → AES-CTR decipher → multipart PUT, same budget',
              value: round(floorRate, 1),
              ratio: round(ratio),
            },
            goal: { text: `≥ ${GOAL}× the floor`, met: ratio >= GOAL },
          },
        ],
        notes: [
          `rounds (s): service ${serviceSeconds.map((s) => round(s, 2)).join(', ')}; floor ${floorSeconds.map((s) => round(s, 2)).join(', ')}`,
          'the service time includes the SQS receive, the table scan and the listing; the floor has none of them',
        ],
      };
    } finally {
      await kit.stop();
      await fixtureDks.close();
      await dksStub.stop();
      const exited = new Promise((resolve) => edge.child.once('exit', resolve));
      edge.child.kill('SIGTERM');
      await exited;
      await rm(certsDir, { recursive: true, force: true });
    }
  },
};
