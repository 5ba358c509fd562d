/**
 * The ORIGINAL service's design, emulated faithfully with the same SDK against the same endpoint,
 * as the baseline of benchmark 8 (docs/reference/egress-behaviour.md, whose sections the § below cite):
 *
 * - §1.3 polling: ONE consumer loop. `GetQueueAttributes(ApproximateNumberOfMessages)` first
 *   (missing → 0); if > 0, `ReceiveMessage` with `MaxNumberOfMessages = 1`, no `WaitTimeSeconds`
 *   (a short poll), no visibility override, no attribute names; if the count is 0 or the receive
 *   is empty, sleep `sqsCheckIntervalMs` (10,000 ms). A received message suspends the loop until it
 *   is processed and, on success, deleted: one message at a time, strictly sequentially.
 * - §1.2 parsing: only `Records[].s3.object.key`, not URL-decoded; no `Records` → not deleted.
 * - §1.4 / §2.2 / §2.3: for EACH key a full table Scan (every page), rules matched by
 *   `$TODAYS_DATE` → yyyy-MM-dd, one trailing `*` removed, `startsWith`; rules run one after another.
 * - §3.1 listing: ONE `ListObjectsV2` page (≤ 1,000 keys), keys ending `pipeline_success.flag`
 *   skipped, objects one at a time in listing order.
 * - §3.2 per object: a full `GetObject` only for the metadata (body read and dropped), then a second
 *   `GetObject` whose body is held WHOLE in memory, optional compression of the whole buffer, then a
 *   single `PutObject` (no multipart) with ACL `bucket-owner-full-control`.
 * - §1.4 step 3: the message is deleted only when every object of every rule succeeded.
 *
 * Not emulated (not exercised by the benchmark workload): decryption, re-wrap, SFT, control files,
 * manifests, metrics. Run standalone: `node --import tsx bench/original-design.ts` with
 * AWS_ENDPOINT_URL, ORIGINAL_QUEUE_URL, ORIGINAL_TABLE (and ORIGINAL_CHECK_INTERVAL_MS); it prints
 * one JSON line per loop event.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient, createS3Client, createSqsClient } from '../src/aws/clients.ts';
import type { AwsTarget } from '../src/aws/target.ts';

/** The original's default `sqsCheckIntervalMs` (§1.3). */
export const ORIGINAL_CHECK_INTERVAL_MS = 10_000;

export type OriginalDesignEvent =
  | { event: 'idle-sleep'; reason: 'no messages on the queue' | 'no message received' }
  | { event: 'message'; keys: string[]; deleted: boolean; objects: number; ms: number };

export interface OriginalDesignOptions {
  target: AwsTarget;
  queueUrl: string;
  table: string;
  checkIntervalMs?: number;
  signal: AbortSignal;
  onEvent?: (event: OriginalDesignEvent) => void;
}

interface Spec {
  sourcePrefix: string;
  sourceBucket: string;
  destinationBucket: string;
  destinationPrefix: string;
  compress: boolean;
  compressFmt: string;
}

function isoDate(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/** §2.2: `$TODAYS_DATE` substituted, one trailing `*` removed, then a plain prefix test. */
function matchingSpecs(items: Record<string, unknown>[], key: string): Spec[] {
  const today = isoDate(new Date());
  const specs: Spec[] = [];
  for (const item of items) {
    if (typeof item.source_prefix !== 'string') continue;
    let prefix = item.source_prefix.replaceAll('$TODAYS_DATE', today);
    if (prefix.endsWith('*')) prefix = prefix.slice(0, -1);
    if (!key.startsWith(prefix)) continue;
    specs.push({
      sourcePrefix: prefix,
      sourceBucket: String(item.source_bucket ?? ''),
      destinationBucket: String(item.destination_bucket ?? ''),
      destinationPrefix: String(item.destination_prefix ?? ''),
      compress: item.compress === true,
      compressFmt: typeof item.compress_fmt === 'string' ? item.compress_fmt : '',
    });
  }
  return specs;
}

/** §3.3 for the columns the workload uses: `dp/basename`, one leading `/` removed, `.fmt` when set. */
function targetKey(spec: Spec, key: string): string {
  const prefix = spec.destinationPrefix.endsWith('/')
    ? spec.destinationPrefix.slice(0, -1)
    : spec.destinationPrefix;
  let path = `${prefix}/${key.slice(key.lastIndexOf('/') + 1)}`;
  if (path.startsWith('/')) path = path.slice(1);
  return spec.compressFmt ? `${path}.${spec.compressFmt}` : path;
}

async function scanAll(documents: DynamoDBDocumentClient, table: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    items.push(...((page.Items ?? []) as Record<string, unknown>[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** §3: one page, one object at a time, two full GETs, whole object in memory, one PUT. */
async function egressSpec(s3: S3Client, spec: Spec): Promise<{ ok: boolean; objects: number }> {
  const listing = await s3.send(
    new ListObjectsV2Command({ Bucket: spec.sourceBucket, Prefix: spec.sourcePrefix }),
  );
  let ok = true;
  let objects = 0;
  for (const object of listing.Contents ?? []) {
    const key = object.Key!;
    if (key.endsWith('pipeline_success.flag')) continue;
    try {
      // §3.2 step 1: a full GET only to classify the object by its metadata (CSE / HTME / plain).
      const forMetadata = await s3.send(new GetObjectCommand({ Bucket: spec.sourceBucket, Key: key }));
      await forMetadata.Body!.transformToByteArray();
      const encrypted = Boolean(forMetadata.Metadata?.['x-amz-matdesc'] ?? forMetadata.Metadata?.ciphertext);
      const content = await s3.send(new GetObjectCommand({ Bucket: spec.sourceBucket, Key: key }));
      let bytes: Uint8Array = await content.Body!.transformToByteArray(); // whole object in memory
      if (spec.compress && spec.compressFmt === 'gz') bytes = gzipSync(bytes);
      await s3.send(
        new PutObjectCommand({
          Bucket: spec.destinationBucket,
          Key: targetKey(spec, key),
          Body: bytes,
          ACL: 'bucket-owner-full-control',
          // §4.6: plain objects get no metadata; encrypted ones are outside this workload.
          Metadata: encrypted ? forMetadata.Metadata : {},
        }),
      );
      objects += 1;
    } catch {
      ok = false; // "Failed to egress object": the other objects still run
    }
  }
  return { ok, objects };
}

/** Runs the original's loop until `signal` aborts. */
export async function runOriginalDesign(options: OriginalDesignOptions): Promise<void> {
  const interval = options.checkIntervalMs ?? ORIGINAL_CHECK_INTERVAL_MS;
  const sqs: SQSClient = createSqsClient(options.target);
  const s3 = createS3Client(options.target);
  const documents = createDocumentClient(options.target);
  const emit = options.onEvent ?? (() => {});
  const idle = async (reason: 'no messages on the queue' | 'no message received') => {
    emit({ event: 'idle-sleep', reason });
    await sleep(interval, undefined, { signal: options.signal }).catch(() => {});
  };
  try {
    while (!options.signal.aborted) {
      const attributes = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: options.queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages'],
        }),
      );
      const count = Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0);
      if (count <= 0) {
        await idle('no messages on the queue');
        continue;
      }
      const received = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: options.queueUrl, MaxNumberOfMessages: 1 }),
      );
      const message = received.Messages?.[0];
      if (!message) {
        await idle('no message received');
        continue;
      }
      const started = performance.now();
      const body = JSON.parse(message.Body ?? '') as { Records?: { s3?: { object?: { key?: string } } }[] };
      if (!body.Records) continue; // never deleted (§1.2)
      const keys = body.Records.map((record) => record.s3?.object?.key).filter(
        (k): k is string => typeof k === 'string',
      );
      const specs: Spec[] = [];
      for (const key of keys) specs.push(...matchingSpecs(await scanAll(documents, options.table), key));
      let allOk = true;
      let objects = 0;
      for (const spec of specs) {
        const result = await egressSpec(s3, spec);
        allOk &&= result.ok;
        objects += result.objects;
      }
      if (allOk) {
        await sqs.send(
          new DeleteMessageCommand({ QueueUrl: options.queueUrl, ReceiptHandle: message.ReceiptHandle }),
        );
      }
      emit({ event: 'message', keys, deleted: allOk, objects, ms: performance.now() - started });
    }
  } finally {
    sqs.destroy();
    s3.destroy();
    documents.destroy();
  }
}

// Standalone: the benchmark runs this file as its own process, like the service.
if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const controller = new AbortController();
  process.once('SIGTERM', () => controller.abort());
  const endpoint = process.env.AWS_ENDPOINT_URL;
  const queueUrl = process.env.ORIGINAL_QUEUE_URL;
  const table = process.env.ORIGINAL_TABLE;
  if (!endpoint || !queueUrl || !table)
    throw new Error('set AWS_ENDPOINT_URL, ORIGINAL_QUEUE_URL and ORIGINAL_TABLE');
  console.log(JSON.stringify({ event: 'started' }));
  await runOriginalDesign({
    target: { region: 'eu-west-2', endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } },
    queueUrl,
    table,
    checkIntervalMs: Number(process.env.ORIGINAL_CHECK_INTERVAL_MS ?? ORIGINAL_CHECK_INTERVAL_MS),
    signal: controller.signal,
    onEvent: (event) => console.log(JSON.stringify(event)),
  });
}
