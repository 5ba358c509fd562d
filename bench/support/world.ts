/**
 * Set-up shared by the benchmarks: sizes scaled by BENCH_SCALE, deterministic content, buckets,
 * queues, routing tables and rules, flag messages, and a bounded-concurrency map.
 */

import { Readable } from 'node:stream';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Upload } from '@aws-sdk/lib-storage';
import { createBucket } from '../../src/aws/buckets.ts';
import {
  createDocumentClient,
  createDynamoClient,
  createS3Client,
  createSqsClient,
} from '../../src/aws/clients.ts';
import { createRoutingTable } from '../../src/aws/provisioning/routing-table.ts';
import type { AwsTarget } from '../../src/aws/target.ts';
import { type EdgeProcess, startEdgeProcess } from './processes.ts';

export const MiB = 1024 * 1024;
/** The embedded S3 refuses bodies over 11 MiB; the service and every floor use 8 MiB parts. */
export const PART_SIZE = 8 * MiB;
/** lib-storage `queueSize` of the service's default (`EGRESS_UPLOAD_QUEUE_SIZE` 4) and of the floors. */
export const UPLOAD_QUEUE_SIZE = 4;
/** The service's default `EGRESS_OBJECT_CONCURRENCY`: the floors get the same budget. */
export const OBJECT_CONCURRENCY = 8;

/** BENCH_SCALE (default 1) multiplies counts and sizes, for quick runs while developing. */
export function benchScale(): number {
  const value = Number(process.env.BENCH_SCALE ?? '1');
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`BENCH_SCALE must be a positive number, got ${process.env.BENCH_SCALE}`);
  return value;
}

/** `n × BENCH_SCALE`, at least `min`. */
export function scaled(n: number, min = 1): number {
  return Math.max(min, Math.round(n * benchScale()));
}

/** `bytes × BENCH_SCALE`, rounded to whole MiB, at least 1 MiB. */
export function scaledBytes(bytes: number): number {
  return Math.max(MiB, Math.round((bytes * benchScale()) / MiB) * MiB);
}

/** mulberry32: a tiny deterministic PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  'claimant',
  'contract',
  'statement',
  'address',
  'payment',
  'award',
  'household',
  'employment',
  'child',
  'benefit',
  'assessment',
  'period',
  'deduction',
  'journal',
  'todo',
  'advance',
];

let pool: Buffer | undefined;
/**
 * 8 MiB of JSON lines from a fixed seed — realistic for the pipeline's exports (compresses to about
 * a third with gzip -6). Streams cycle through it; the period is far beyond gzip's 32 KiB window,
 * so the compression ratio and speed are those of fresh text.
 */
export function textPool(): Buffer {
  if (pool) return pool;
  const random = prng(20261124);
  const lines: string[] = [];
  let size = 0;
  for (let id = 0; size < 8 * MiB; id++) {
    const word = () => WORDS[Math.floor(random() * WORDS.length)]!;
    const line = `${JSON.stringify({
      _id: { id: `${(random() * 1e16).toString(16)}-${id}` },
      type: word(),
      amount: Math.round(random() * 1e6) / 100,
      date: `2026-${String(1 + Math.floor(random() * 12)).padStart(2, '0')}-${String(1 + Math.floor(random() * 28)).padStart(2, '0')}`,
      status: word(),
      note: `${word()} ${word()} ${word()} ${Math.floor(random() * 1e9)}`,
    })}\n`;
    lines.push(line);
    size += Buffer.byteLength(line);
  }
  pool = Buffer.from(lines.join('')).subarray(0, 8 * MiB);
  return pool;
}

/** `size` deterministic bytes (the text pool from offset `seed`), streamed in 1 MiB chunks. */
export function contentStream(size: number, seed = 0): Readable {
  const source = textPool();
  let offset = (seed * 7919 * 4096) % source.length;
  let remaining = size;
  return new Readable({
    read() {
      if (remaining === 0) {
        this.push(null);
        return;
      }
      const length = Math.min(MiB, remaining, source.length - offset);
      this.push(source.subarray(offset, offset + length));
      remaining -= length;
      offset = (offset + length) % source.length;
    },
  });
}

/** `size` deterministic bytes as one buffer (small objects). */
export function contentBuffer(size: number, seed = 0): Buffer {
  const source = textPool();
  const start = (seed * 7919) % (source.length - size);
  return Buffer.from(source.subarray(start, start + size));
}

/** Runs `task` over `items` with at most `limit` at once; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** SDK clients for one target. */
export class Clients {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly dynamo: DynamoDBClient;
  readonly documents: DynamoDBDocumentClient;

  constructor(readonly target: AwsTarget) {
    this.s3 = createS3Client(target);
    this.sqs = createSqsClient(target);
    this.dynamo = createDynamoClient(target);
    this.documents = createDocumentClient(target);
  }

  destroy(): void {
    this.s3.destroy();
    this.sqs.destroy();
    this.dynamo.destroy();
    this.documents.destroy();
  }

  async buckets(...names: string[]): Promise<void> {
    for (const name of names) await createBucket(this.s3, name);
  }

  async queue(name: string, attributes: Record<string, string> = {}): Promise<string> {
    const { QueueUrl } = await this.sqs.send(
      new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
    );
    return QueueUrl!;
  }

  async queueArn(queueUrl: string): Promise<string> {
    const { Attributes } = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    return Attributes!.QueueArn!;
  }

  async queueDepth(queueUrl: string): Promise<number> {
    const { Attributes } = await this.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
      Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
    );
  }

  /** S3 → SQS notifications of object creations in `bucket` (optionally only keys ending `suffix`). */
  async notify(bucket: string, queueUrl: string, suffix?: string): Promise<void> {
    await this.s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: bucket,
        NotificationConfiguration: {
          QueueConfigurations: [
            {
              QueueArn: await this.queueArn(queueUrl),
              Events: ['s3:ObjectCreated:*'],
              ...(suffix ? { Filter: { Key: { FilterRules: [{ Name: 'suffix', Value: suffix }] } } } : {}),
            },
          ],
        },
      }),
    );
  }

  /** A routing table shaped like `data-egress` (hash source_prefix, range pipeline_name). */
  async table(name: string): Promise<void> {
    await createRoutingTable(this.dynamo, name);
  }

  /** Writes routing items, 25 per BatchWriteItem, a few batches at once. */
  async rules(table: string, items: Record<string, unknown>[]): Promise<void> {
    const batches: Record<string, unknown>[][] = [];
    for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
    await mapLimit(batches, 4, async (batch) => {
      let pending = batch.map((item) => ({ PutRequest: { Item: item } }));
      while (pending.length > 0) {
        const result = await this.documents.send(
          new BatchWriteCommand({ RequestItems: { [table]: pending } }),
        );
        pending = (result.UnprocessedItems?.[table] ?? []) as typeof pending;
      }
    });
  }

  /** A small object in one PUT. */
  async put(
    bucket: string,
    key: string,
    body: Buffer | string,
    metadata?: Record<string, string>,
  ): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, Metadata: metadata }));
  }

  /** A large object from a stream, multipart with 8 MiB parts (never a whole-object buffer). */
  async upload(
    bucket: string,
    key: string,
    body: Readable,
    metadata?: Record<string, string>,
  ): Promise<void> {
    await new Upload({
      client: this.s3,
      params: { Bucket: bucket, Key: key, Body: body, Metadata: metadata },
      partSize: PART_SIZE,
      queueSize: UPLOAD_QUEUE_SIZE,
    }).done();
  }

  /** Enqueues the S3 event a `…pipeline_success.flag` upload raises (as the edge would send it). */
  async flag(queueUrl: string, bucket: string, key: string): Promise<void> {
    await this.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: flagEvent(bucket, key) }));
  }

  /** Many flag events, ten per SendMessageBatch. */
  async flags(queueUrl: string, bucket: string, keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 10) {
      await this.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: keys
            .slice(i, i + 10)
            .map((key, n) => ({ Id: String(n), MessageBody: flagEvent(bucket, key) })),
        }),
      );
    }
  }
}

/** The S3 event notification body for an object creation. */
export function flagEvent(bucket: string, key: string): string {
  const encoded = encodeURIComponent(key).replace(/%2F/g, '/');
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'eu-west-2',
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` }, object: { key: encoded, size: 0 } },
      },
    ],
  });
}

/** An S3 routing item (the original's columns). */
export function s3Rule(
  sourcePrefix: string,
  sourceBucket: string,
  destinationBucket: string,
  destinationPrefix: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    source_prefix: sourcePrefix,
    pipeline_name: 'BENCH',
    recipient_name: 'bench',
    transfer_type: 'S3',
    source_bucket: sourceBucket,
    destination_bucket: destinationBucket,
    destination_prefix: destinationPrefix,
    ...extra,
  };
}

let counter = 0;
/** A lower-case unique name for buckets, queues and tables. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}`;
}

/** An edge in its own process, with a source and a destination bucket, a routing table and a queue. */
export interface CopyWorld {
  edge: EdgeProcess;
  clients: Clients;
  source: string;
  destination: string;
  table: string;
  queueUrl: string;
  close(): Promise<void>;
}

/** Sets up the resources most benchmarks start from; names are unique and start with `prefix`. */
export async function startCopyWorld(prefix: string): Promise<CopyWorld> {
  const edge = await startEdgeProcess();
  const clients = new Clients(edge.target);
  const close = async () => {
    clients.destroy();
    await edge.stop();
  };
  try {
    const source = uniqueName(`${prefix}-src`);
    const destination = uniqueName(`${prefix}-dst`);
    const table = uniqueName(`${prefix}-rules`);
    await clients.buckets(source, destination);
    await clients.table(table);
    const queueUrl = await clients.queue(uniqueName(`${prefix}-queue`));
    return { edge, clients, source, destination, table, queueUrl, close };
  } catch (error) {
    await close();
    throw error;
  }
}
