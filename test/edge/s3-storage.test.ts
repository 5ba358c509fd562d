/**
 * The embedded S3's storage, from the outside: the real AWS SDK, the AWS CLI and raw sockets against
 * an edge whose object bodies live in a directory this test inspects. Bytes are compared by SHA-256.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { Upload } from '@aws-sdk/lib-storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBucket } from '../../src/aws/buckets.ts';
import { createS3Client, createSqsClient } from '../../src/aws/clients.ts';
import { type Edge, startEdge } from '../../src/edge/index.ts';
import { uniqueName } from '../../src/testing/index.ts';
import { waitFor } from '../../src/util/wait.ts';

const MiB = 1024 * 1024;
const run = promisify(execFile);

let root: string;
let storageDir: string;
let edge: Edge;
let s3: S3Client;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 's3-storage-test-'));
  storageDir = path.join(root, 'edge-s3');
  edge = await startEdge({ port: 0, s3StorageDir: storageDir });
  s3 = createS3Client(edge.target);
});
afterAll(async () => {
  s3?.destroy();
  await edge?.stop();
  await rm(root, { recursive: true, force: true });
});

async function newBucket(): Promise<string> {
  const bucket = uniqueName('st');
  await createBucket(s3, bucket);
  return bucket;
}

/** Deterministic bytes: a counter pattern, different for every seed. */
function bytes(size: number, seed: number): Buffer {
  const buffer = Buffer.alloc(size);
  for (let i = 0; i + 4 <= size; i += 4) buffer.writeUInt32BE((i * 2654435761 + seed) >>> 0, i);
  return buffer;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');

async function get(bucket: string, key: string, range?: string): Promise<Buffer> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range }));
  return Buffer.from(await response.Body!.transformToByteArray());
}

const bodyFiles = async () => readdir(path.join(storageDir, 'blobs'));

/** Waits until the storage holds exactly `count` body files, on disk and in its own count. */
async function expectFiles(count: number): Promise<void> {
  await waitFor(async () => (await bodyFiles()).length === count && edge.s3Storage().files === count, {
    description: `${count} body files (now ${(await bodyFiles()).length})`,
  });
}

describe('S3 object bodies on disk', () => {
  it('keeps small bodies in memory and large ones in files, byte for byte', async () => {
    const bucket = await newBucket();
    const filesBefore = (await bodyFiles()).length;
    const small = bytes(4 * 1024, 1);
    const large = bytes(10 * MiB + 3, 2);
    const memoryBefore = edge.s3Storage().memoryBytes;
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'small.bin',
        Body: small,
        ContentType: 'text/csv',
        Metadata: { iv: 'AAAA', ciphertext: 'wrapped' },
      }),
    );
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'dir/large.bin', Body: large }));
    expect(put.ETag).toBe(`"${md5(large)}"`);
    expect(edge.s3Storage().memoryBytes - memoryBefore).toBe(small.length);
    expect((await bodyFiles()).length - filesBefore).toBe(1);
    expect(sha256(await get(bucket, 'small.bin'))).toBe(sha256(small));
    expect(sha256(await get(bucket, 'dir/large.bin'))).toBe(sha256(large));
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'small.bin' }));
    expect(head).toMatchObject({
      ContentLength: small.length,
      ContentType: 'text/csv',
      ETag: `"${md5(small)}"`,
      Metadata: { iv: 'AAAA', ciphertext: 'wrapped' },
    });
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'small.bin' }));
    expect(got.Metadata).toEqual({ iv: 'AAAA', ciphertext: 'wrapped' });
    expect(got.ContentType).toBe('text/csv');
    await got.Body!.transformToByteArray();
  });

  it('assembles a multipart upload without copying it: ETag -N, ranges across parts, 416', async () => {
    const bucket = await newBucket();
    const parts = [bytes(5 * MiB, 10), bytes(5 * MiB, 11), bytes(MiB + 17, 12)];
    const whole = Buffer.concat(parts);
    const filesBefore = (await bodyFiles()).length;
    const result = await new Upload({
      client: s3,
      params: { Bucket: bucket, Key: 'multi.bin', Body: whole, Metadata: { owner: 'test' } },
      partSize: 5 * MiB,
      queueSize: 2,
    }).done();
    const expectedEtag = createHash('md5')
      .update(Buffer.concat(parts.map((part) => createHash('md5').update(part).digest())))
      .digest('hex');
    expect(result.ETag).toBe(`"${expectedEtag}-3"`);
    expect((await bodyFiles()).length - filesBefore).toBe(3);
    expect(sha256(await get(bucket, 'multi.bin'))).toBe(sha256(whole));
    for (const [range, start, end] of [
      ['bytes=0-99', 0, 99],
      [`bytes=${5 * MiB - 10}-${5 * MiB + 9}`, 5 * MiB - 10, 5 * MiB + 9],
      [`bytes=${5 * MiB - 1}-${10 * MiB}`, 5 * MiB - 1, 10 * MiB],
      ['bytes=-1000', whole.length - 1000, whole.length - 1],
      [`bytes=${10 * MiB + 5}-`, 10 * MiB + 5, whole.length - 1],
    ] as const) {
      const response = await s3.send(
        new GetObjectCommand({ Bucket: bucket, Key: 'multi.bin', Range: range }),
      );
      expect(response.ContentRange).toBe(`bytes ${start}-${end}/${whole.length}`);
      const got = Buffer.from(await response.Body!.transformToByteArray());
      expect(sha256(got), range).toBe(sha256(whole.subarray(start, end + 1)));
    }
    await expect(get(bucket, 'multi.bin', `bytes=${whole.length}-`)).rejects.toMatchObject({
      name: 'InvalidRange',
      $metadata: { httpStatusCode: 416 },
    });
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'multi.bin' }));
    expect(head).toMatchObject({
      ContentLength: whole.length,
      ETag: `"${expectedEtag}-3"`,
      Metadata: { owner: 'test' },
    });
  });

  it('copies by sharing the body: COPY and REPLACE metadata, plain MD5 ETag, frees files only when both are gone', async () => {
    const bucket = await newBucket();
    const other = await newBucket();
    const whole = bytes(11 * MiB, 20);
    await new Upload({
      client: s3,
      params: {
        Bucket: bucket,
        Key: 'source.bin',
        Body: whole,
        ContentType: 'text/plain',
        Metadata: { a: '1' },
      },
      partSize: 5 * MiB,
    }).done();
    const files = (await bodyFiles()).length;
    const copied = await s3.send(
      new CopyObjectCommand({ Bucket: other, Key: 'dir/copy.bin', CopySource: `${bucket}/source.bin` }),
    );
    expect(copied.CopyObjectResult?.ETag).toBe(`"${md5(whole)}"`);
    expect((await bodyFiles()).length).toBe(files);
    const replaced = await s3.send(
      new CopyObjectCommand({
        Bucket: other,
        Key: 'ü space+plus.bin',
        CopySource: encodeURIComponent(`${other}/dir/copy.bin`),
        MetadataDirective: 'REPLACE',
        ContentType: 'application/json',
        Metadata: { b: '2' },
      }),
    );
    expect(replaced.CopyObjectResult?.ETag).toBe(`"${md5(whole)}"`);
    expect(await s3.send(new HeadObjectCommand({ Bucket: other, Key: 'dir/copy.bin' }))).toMatchObject({
      ContentType: 'text/plain',
      Metadata: { a: '1' },
      ContentLength: whole.length,
    });
    expect(await s3.send(new HeadObjectCommand({ Bucket: other, Key: 'ü space+plus.bin' }))).toMatchObject({
      ContentType: 'application/json',
      Metadata: { b: '2' },
    });
    await expect(
      s3.send(
        new CopyObjectCommand({ Bucket: bucket, Key: 'source.bin', CopySource: `${bucket}/source.bin` }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidRequest' });
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'source.bin' }));
    await s3.send(new DeleteObjectCommand({ Bucket: other, Key: 'dir/copy.bin' }));
    expect(sha256(await get(other, 'ü space+plus.bin'))).toBe(sha256(whole));
    expect((await bodyFiles()).length).toBe(files);
    await s3.send(new DeleteObjectCommand({ Bucket: other, Key: 'ü space+plus.bin' }));
    await expectFiles(files - 3);
  });

  it('frees files on delete, DeleteObjects, abort, overwrite and before a bucket is deleted; lists in S3 order', async () => {
    const bucket = await newBucket();
    const baseline = (await bodyFiles()).length;
    const keys = ['b.bin', 'B.bin', 'a/1.bin', 'a/2.bin', 'é.bin'];
    for (const [i, key] of keys.entries()) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes(300 * 1024, i) }));
    }
    await expectFiles(baseline + 5);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 3 }));
    expect(listed.Contents?.map((c) => c.Key)).toEqual(['B.bin', 'a/1.bin', 'a/2.bin']);
    const rest = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: listed.NextContinuationToken }),
    );
    expect(rest.Contents?.map((c) => c.Key)).toEqual(['b.bin', 'é.bin']);
    expect(rest.Contents?.[0]).toMatchObject({ Size: 300 * 1024, ETag: `"${md5(bytes(300 * 1024, 0))}"` });

    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'b.bin', Body: bytes(400 * 1024, 9) }));
    await expectFiles(baseline + 5);
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'b.bin' }));
    await expectFiles(baseline + 4);
    await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: [{ Key: 'B.bin' }, { Key: 'a/1.bin' }, { Key: 'missing' }] },
      }),
    );
    await expectFiles(baseline + 2);

    const upload = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'aborted.bin' }));
    for (const partNumber of [1, 2]) {
      await s3.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: 'aborted.bin',
          UploadId: upload.UploadId,
          PartNumber: partNumber,
          Body: bytes(5 * MiB, partNumber),
        }),
      );
    }
    await expectFiles(baseline + 4);
    await expect(s3.send(new DeleteBucketCommand({ Bucket: bucket }))).rejects.toMatchObject({
      name: 'BucketNotEmpty',
    });
    await s3.send(
      new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'aborted.bin', UploadId: upload.UploadId }),
    );
    await expectFiles(baseline + 2);
    await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: [{ Key: 'a/2.bin' }, { Key: 'é.bin' }] },
      }),
    );
    await expectFiles(baseline);
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  });

  it('answers S3 errors in S3 shape', async () => {
    const bucket = await newBucket();
    await expect(get(bucket, 'missing')).rejects.toMatchObject({
      name: 'NoSuchKey',
      $metadata: { httpStatusCode: 404 },
    });
    await expect(get(uniqueName('nobucket'), 'k')).rejects.toMatchObject({ name: 'NoSuchBucket' });
    await expect(
      s3.send(new PutObjectCommand({ Bucket: uniqueName('nobucket'), Key: 'k', Body: 'x' })),
    ).rejects.toMatchObject({ name: 'NoSuchBucket' });
    await expect(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'missing' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
    await expect(
      s3.send(
        new UploadPartCommand({ Bucket: bucket, Key: 'k', UploadId: 'nope', PartNumber: 1, Body: 'x' }),
      ),
    ).rejects.toMatchObject({ name: 'NoSuchUpload' });
    await expect(
      s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'k', UploadId: 'nope' })),
    ).rejects.toMatchObject({ name: 'NoSuchUpload', $metadata: { httpStatusCode: 404 } });
    const upload = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'k' }));
    const part = await s3.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: 'k',
        UploadId: upload.UploadId,
        PartNumber: 1,
        Body: 'small',
      }),
    );
    await expect(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: 'k',
          UploadId: upload.UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"0000"' }] },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidPart' });
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: 'k',
        UploadId: upload.UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      }),
    );
    expect(done.ETag).toMatch(/-1"$/);
    expect((await get(bucket, 'k')).toString()).toBe('small');
  });

  it('honours conditional GETs and Content-MD5', async () => {
    const bucket = await newBucket();
    const body = Buffer.from('conditional');
    const { ETag } = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'c.txt', Body: body }));
    const url = new URL(`/${bucket}/c.txt`, edge.endpoint);
    const status = (headers: Record<string, string>, method = 'GET', payload?: Buffer) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request(url, { method, headers }, (res) => {
          let text = '';
          res.on('data', (chunk) => {
            text += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode!, body: text }));
        });
        req.on('error', reject);
        req.end(payload);
      });
    expect((await status({ 'if-none-match': ETag! })).status).toBe(304);
    expect((await status({ 'if-match': '"nope"' })).status).toBe(412);
    expect((await status({ 'if-match': ETag! })).status).toBe(200);
    const wrong = await status(
      { 'content-md5': createHash('md5').update('other').digest('base64') },
      'PUT',
      body,
    );
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain('<Code>BadDigest</Code>');
    const right = await status(
      { 'content-md5': createHash('md5').update('new').digest('base64') },
      'PUT',
      Buffer.from('new'),
    );
    expect(right.status).toBe(200);
    expect((await get(bucket, 'c.txt')).toString()).toBe('new');
  });

  it('decodes aws-chunked uploads from the SDK (streams of unknown length with a checksum trailer)', async () => {
    const bucket = await newBucket();
    // The project's clients turn optional checksums off for emulators; the SDK's default sends
    // unknown-length bodies as aws-chunked with a CRC32 trailer.
    const checksummed = new S3Client({
      region: edge.region,
      endpoint: edge.endpoint,
      forcePathStyle: true,
      credentials: edge.target.credentials,
    });
    try {
      const data = bytes(3 * MiB + 5, 30);
      const chunks = Array.from({ length: Math.ceil(data.length / 65_536) }, (_, i) =>
        data.subarray(i * 65_536, (i + 1) * 65_536),
      );
      await checksummed.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: 'chunked.bin',
          Body: Readable.from(chunks),
          ContentLength: data.length,
        }),
      );
      expect(sha256(await get(bucket, 'chunked.bin'))).toBe(sha256(data));
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'chunked.bin' }));
      expect(head.ContentLength).toBe(data.length);
      expect(head.ETag).toBe(`"${md5(data)}"`);
    } finally {
      checksummed.destroy();
    }
  });

  it('keeps the last of concurrent writers of one key whole, and frees the others', async () => {
    const bucket = await newBucket();
    const baseline = (await bodyFiles()).length;
    const bodies = Array.from({ length: 6 }, (_, i) => bytes(MiB + i, 40 + i));
    await Promise.all(
      bodies.map((body) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'contended', Body: body }))),
    );
    const got = await get(bucket, 'contended');
    expect(bodies.map(sha256)).toContain(sha256(got));
    await expectFiles(baseline + 1);
  });

  it('leaves no object and no file when a client hangs up mid-upload (plain and aws-chunked)', async () => {
    const bucket = await newBucket();
    const baseline = (await bodyFiles()).length;
    const { port } = new URL(edge.endpoint);
    const hangUp = async (head: string, firstBytes: Buffer) => {
      const socket = net.connect(Number(port), '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(head);
      socket.write(firstBytes);
      // The body has started to land in a file (it is past the in-memory size)…
      await expectFiles(baseline + 1);
      // …when the client goes away.
      socket.destroy();
      await expectFiles(baseline);
    };
    await hangUp(
      `PUT /${bucket}/plain.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${8 * MiB}\r\n\r\n`,
      bytes(2 * MiB, 50),
    );
    const chunk = bytes(MiB, 51);
    await hangUp(
      `PUT /${bucket}/chunked.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Encoding: aws-chunked\r\nx-amz-decoded-content-length: ${4 * MiB}\r\nTransfer-Encoding: chunked\r\n\r\n`,
      Buffer.concat([
        Buffer.from(`${(2 * chunk.length + 100).toString(16)}\r\n`),
        Buffer.from(`${chunk.length.toString(16)}\r\n`),
        chunk,
        Buffer.from('\r\n'),
        Buffer.from(`${chunk.length.toString(16)}\r\n`),
        chunk.subarray(0, 1000),
      ]),
    );
    for (const key of ['plain.bin', 'chunked.bin']) {
      await expect(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).rejects.toMatchObject({
        $metadata: { httpStatusCode: 404 },
      });
    }
  });

  it('refuses a chunked body (no declared length) past the 11 MiB request limit, keeping nothing', async () => {
    const bucket = await newBucket();
    const baseline = (await bodyFiles()).length;
    const { port } = new URL(edge.endpoint);
    const socket = net.connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk;
    });
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      `PUT /${bucket}/endless.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n`,
    );
    const piece = bytes(MiB, 90);
    for (let i = 0; i < 12 && !answer; i++) {
      socket.write(`${piece.length.toString(16)}\r\n`);
      socket.write(piece);
      socket.write('\r\n');
    }
    await waitFor(() => answer.includes('</Error>'), { description: 'an error answer' });
    socket.destroy();
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(answer).toContain('<Code>EntityTooLarge</Code>');
    await expectFiles(baseline);
    await expect(
      s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'endless.bin' })),
    ).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('stores and serves virtual-hosted-style requests through the same storage (the gateway makes them path-style)', async () => {
    const bucket = await newBucket();
    const { port } = new URL(edge.endpoint);
    const request = (method: string, path: string, body?: Buffer, headers: Record<string, string> = {}) =>
      new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port: Number(port),
            method,
            path,
            headers: { host: `${bucket}.localhost:${port}`, ...headers },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    const data = bytes(MiB, 95); // past the in-memory size: a file
    expect((await request('PUT', '/vhost/object.bin', data)).status).toBe(200);
    const got = await request('GET', '/vhost/object.bin');
    expect(got.status).toBe(200);
    expect(sha256(got.body)).toBe(sha256(data));
    expect(sha256(await get(bucket, 'vhost/object.bin'))).toBe(sha256(data));
    // The storage's upload checks hold for them as well.
    const wrongMd5 = createHash('md5').update('other bytes').digest('base64');
    const refused = await request('PUT', '/vhost/refused.bin', data, { 'content-md5': wrongMd5 });
    expect(refused.status).toBe(400);
    expect(refused.body.toString()).toContain('<Code>BadDigest</Code>');
    expect((await request('GET', '/vhost/refused.bin')).status).toBe(404);
  });

  it('notifies every write: PutObject, CopyObject, CompleteMultipartUpload, with size and ETag', async () => {
    const bucket = await newBucket();
    const sqs = createSqsClient(edge.target);
    try {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('events') }));
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
      );
      await s3.send(
        new PutBucketNotificationConfigurationCommand({
          Bucket: bucket,
          NotificationConfiguration: {
            QueueConfigurations: [{ QueueArn: Attributes!.QueueArn!, Events: ['s3:ObjectCreated:*'] }],
          },
        }),
      );
      const data = bytes(6 * MiB, 60);
      const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'put.bin', Body: data }));
      await s3.send(
        new CopyObjectCommand({ Bucket: bucket, Key: 'copy.bin', CopySource: `${bucket}/put.bin` }),
      );
      const multi = await new Upload({
        client: s3,
        params: { Bucket: bucket, Key: 'multi.bin', Body: Buffer.concat([data, data]) },
        partSize: 6 * MiB,
      }).done();
      const records: { eventName: string; s3: { object: { key: string; size: number; eTag: string } } }[] =
        [];
      await waitFor(async () => {
        const { Messages } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        for (const message of Messages ?? []) {
          const body = JSON.parse(message.Body!) as { Records?: typeof records };
          records.push(...(body.Records ?? []));
        }
        return records.length >= 3;
      });
      expect(
        records.map((r) => [r.eventName, r.s3.object.key, r.s3.object.size, `"${r.s3.object.eTag}"`]),
      ).toEqual([
        ['ObjectCreated:Put', 'put.bin', data.length, put.ETag],
        ['ObjectCreated:Copy', 'copy.bin', data.length, put.ETag],
        ['ObjectCreated:CompleteMultipartUpload', 'multi.bin', 2 * data.length, multi.ETag],
      ]);
    } finally {
      sqs.destroy();
    }
  });

  it('keeps notifying after the target queue is deleted and created again (queue URLs are cached)', async () => {
    const bucket = await newBucket();
    const sqs = createSqsClient(edge.target);
    const seen: { key: string; delivered: boolean }[] = [];
    const unsubscribe = edge.onNotification((record) => {
      if (record.bucket === bucket) seen.push({ key: record.key, delivered: record.delivered });
    });
    try {
      const name = uniqueName('requeue');
      const first = await sqs.send(new CreateQueueCommand({ QueueName: name }));
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: first.QueueUrl, AttributeNames: ['QueueArn'] }),
      );
      await s3.send(
        new PutBucketNotificationConfigurationCommand({
          Bucket: bucket,
          NotificationConfiguration: {
            QueueConfigurations: [{ QueueArn: Attributes!.QueueArn!, Events: ['s3:ObjectCreated:*'] }],
          },
        }),
      );
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'one', Body: 'x' }));
      await waitFor(() => seen.some((r) => r.key === 'one'));
      await sqs.send(new DeleteQueueCommand({ QueueUrl: first.QueueUrl }));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'two', Body: 'x' }));
      await waitFor(() => seen.some((r) => r.key === 'two'));
      await sqs.send(new CreateQueueCommand({ QueueName: name }));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'three', Body: 'x' }));
      await waitFor(() => seen.some((r) => r.key === 'three'));
      expect(seen).toEqual([
        { key: 'one', delivered: true },
        { key: 'two', delivered: false },
        { key: 'three', delivered: true },
      ]);
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: first.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      expect(Messages?.map((m) => JSON.parse(m.Body!).Records[0].s3.object.key)).toEqual(['three']);
    } finally {
      unsubscribe();
      sqs.destroy();
    }
  });

  it('bounds the memory bodies take whatever is stored (a count of bytes, not a timing)', async () => {
    const bucket = await newBucket();
    const before = edge.s3Storage();
    // 64 MiB in 1 MiB objects, 32 MiB multipart, and 500 small objects of 4 KiB.
    for (let i = 0; i < 64; i += 8) {
      await Promise.all(
        Array.from({ length: 8 }, (_, j) =>
          s3.send(new PutObjectCommand({ Bucket: bucket, Key: `big/${i + j}`, Body: bytes(MiB, i + j) })),
        ),
      );
    }
    await new Upload({
      client: s3,
      params: { Bucket: bucket, Key: 'multi', Body: bytes(32 * MiB, 70) },
      partSize: 8 * MiB,
    }).done();
    for (let i = 0; i < 500; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, j) =>
          s3.send(new PutObjectCommand({ Bucket: bucket, Key: `small/${i + j}`, Body: bytes(4096, i + j) })),
        ),
      );
    }
    const after = edge.s3Storage();
    expect(after.fileBytes - before.fileBytes).toBe(96 * MiB);
    expect(after.memoryBytes - before.memoryBytes).toBe(500 * 4096);
    expect(after.memoryBytes).toBeLessThanOrEqual(64 * MiB);
    const onDisk = await Promise.all(
      (await bodyFiles()).map(async (name) => (await stat(path.join(storageDir, 'blobs', name))).size),
    );
    expect(onDisk.reduce((a, b) => a + b, 0)).toBe(after.fileBytes);
  });
});

describe('S3 object bodies with the AWS CLI', () => {
  it('uploads, copies (UploadPartCopy) and downloads a 20 MiB object intact', async () => {
    const bucket = await newBucket();
    const data = bytes(20 * MiB + 1, 80);
    const local = path.join(root, 'cli-upload.bin');
    await writeFile(local, data);
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_DEFAULT_REGION: edge.region,
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    };
    const aws = (...args: string[]) =>
      run('aws', ['--endpoint-url', edge.endpoint, ...args], {
        env,
        maxBuffer: 64 * MiB,
        encoding: 'buffer',
      });
    await aws('s3', 'cp', local, `s3://${bucket}/cli/up.bin`);
    const head = JSON.parse(
      (await aws('s3api', 'head-object', '--bucket', bucket, '--key', 'cli/up.bin')).stdout.toString(),
    ) as { ETag: string; ContentLength: number };
    expect(head.ContentLength).toBe(data.length);
    expect(head.ETag).toMatch(/-3"$/); // the CLI's 8 MiB multipart chunks
    await aws('s3', 'cp', `s3://${bucket}/cli/up.bin`, `s3://${bucket}/cli/copied.bin`);
    expect(sha256(await get(bucket, 'cli/copied.bin'))).toBe(sha256(data));
    const downloaded = path.join(root, 'cli-download.bin');
    await aws('s3', 'cp', `s3://${bucket}/cli/copied.bin`, downloaded);
    expect(sha256(await readFile(downloaded))).toBe(sha256(data));
  }, 60_000);
});

describe('S3 storage directory', () => {
  it('is removed when the edge stops', async () => {
    const directory = path.join(root, 'stopped-edge');
    const other = await startEdge({ port: 0, s3StorageDir: directory });
    const client = createS3Client(other.target);
    await createBucket(client, 'stop-test');
    await client.send(new PutObjectCommand({ Bucket: 'stop-test', Key: 'k', Body: bytes(MiB, 1) }));
    client.destroy();
    expect((await readdir(path.join(directory, 'blobs'))).length).toBe(1);
    await other.stop();
    await expect(stat(directory)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
