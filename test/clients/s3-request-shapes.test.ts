import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBucket } from '../../src/aws/buckets.ts';
import { createS3Client } from '../../src/aws/clients.ts';
import { type Edge, startEdge } from '../../src/edge/index.ts';
import { uniqueName } from '../../src/testing/index.ts';
import { awsChunked, pieces, rawRequest } from './raw-http.ts';
import { capturingLogger, commandAvailable, run } from './support.ts';

/*
 * Every shape in which clients send an S3 request body — empty, HTTP-chunked, behind
 * `Expect: 100-continue`, aws-chunked (signed, unsigned with trailers, without the
 * Content-Encoding header), with form or JSON content types — stores exactly the payload.
 * Raw sockets control the bytes; curl is the client nobody here wrote.
 */

const SIGV4 =
  'Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/eu-west-2/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=0000';

let edge: Edge;
let log: ReturnType<typeof capturingLogger>;
let bucket: string;
const s3 = () => createS3Client(edge.target);

beforeAll(async () => {
  log = capturingLogger();
  // Hosts other than loopback ones pass the DNS-rebinding guard only when allowed (docs/edge.md).
  edge = await startEdge({
    port: 0,
    logger: log.logger,
    allowedHosts: ['host.docker.internal', 'edge', '*.localhost.localstack.cloud'],
  });
  bucket = uniqueName('shapes');
  await createBucket(s3(), bucket);
});
afterAll(async () => {
  await edge?.stop();
});

async function stored(key: string): Promise<{ body: Buffer; contentType?: string | undefined }> {
  const got = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return { body: Buffer.from(await got.Body!.transformToByteArray()), contentType: got.ContentType };
}

async function missing(key: string): Promise<boolean> {
  try {
    await s3().send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return false;
  } catch (error) {
    return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404;
  }
}

function crc32Base64(data: Buffer): string {
  const value = Buffer.alloc(4);
  value.writeUInt32BE(crc32(data));
  return value.toString('base64');
}

function httpChunked(data: Buffer, size: number): Buffer {
  const parts = pieces(data, size).flatMap((p) => [
    Buffer.from(`${p.length.toString(16)}\r\n`),
    p,
    Buffer.from('\r\n'),
  ]);
  return Buffer.concat([...parts, Buffer.from('0\r\n\r\n')]);
}

function serverErrors(): Record<string, unknown>[] {
  return log.lines().filter((line) => Number(line.level) >= 50);
}

describe('empty and plain bodies on raw sockets', () => {
  it('stores an empty object from `Content-Length: 0` without a Content-Type, as binary/octet-stream', async () => {
    const response = await rawRequest(edge.port, [
      `PUT /${bucket}/raw/empty.flag HTTP/1.1`,
      `Host: 127.0.0.1:${edge.port}`,
      'Content-Length: 0',
    ]);
    expect(response.status).toBe(200);
    const object = await stored('raw/empty.flag');
    expect(object.body.length).toBe(0);
    expect(object.contentType).toBe('binary/octet-stream');
  });

  it('stores an empty object sent as an empty chunked body', async () => {
    const response = await rawRequest(
      edge.port,
      [
        `PUT /${bucket}/raw/empty-chunked HTTP/1.1`,
        `Host: 127.0.0.1:${edge.port}`,
        'Transfer-Encoding: chunked',
      ],
      ['0\r\n\r\n'],
    );
    expect(response.status).toBe(200);
    expect((await stored('raw/empty-chunked')).body.length).toBe(0);
  });

  it('stores form-encoded and JSON bodies as the bytes sent, with their content type', async () => {
    for (const [key, type, body] of [
      ['raw/form', 'application/x-www-form-urlencoded', 'a=1&b=2'],
      ['raw/amz-json', 'application/x-amz-json-1.0', '{"not":"sqs"}'],
      ['raw/json', 'application/json', '{"x":[1,2]}'],
      ['raw/text', 'text/plain; charset=utf-8', 'plain'],
    ] as const) {
      const response = await rawRequest(
        edge.port,
        [
          `PUT /${bucket}/${key} HTTP/1.1`,
          `Host: 127.0.0.1:${edge.port}`,
          `Content-Type: ${type}`,
          `Content-Length: ${Buffer.byteLength(body)}`,
        ],
        [body],
      );
      expect(response.status, `${type}: ${response.body}`).toBe(200);
      const object = await stored(key);
      expect(object.body.toString()).toBe(body);
      expect(object.contentType).toBe(type);
    }
  });

  it('answers Expect: 100-continue, then stores the body', async () => {
    const body = 'after continue';
    const response = await rawRequest(
      edge.port,
      [
        `PUT /${bucket}/raw/continued.txt HTTP/1.1`,
        `Host: 127.0.0.1:${edge.port}`,
        'Expect: 100-continue',
        `Content-Length: ${body.length}`,
      ],
      [body],
      { awaitContinue: true },
    );
    expect(response.statusLines[0]).toMatch(/^HTTP\/1.1 100/);
    expect(response.status).toBe(200);
    expect((await stored('raw/continued.txt')).body.toString()).toBe(body);
  });

  it('stores an UNSIGNED-PAYLOAD body as sent', async () => {
    const body = randomBytes(70_000);
    const response = await rawRequest(
      edge.port,
      [
        `PUT /${bucket}/raw/unsigned.bin HTTP/1.1`,
        `Host: 127.0.0.1:${edge.port}`,
        'x-amz-content-sha256: UNSIGNED-PAYLOAD',
        SIGV4,
        `Content-Length: ${body.length}`,
      ],
      pieces(body, 7_000),
    );
    expect(response.status).toBe(200);
    expect((await stored('raw/unsigned.bin')).body.equals(body)).toBe(true);
  });
});

describe('aws-chunked bodies (SigV4 streaming)', () => {
  /** The head of a signed aws-chunked PUT to `target` (path and query) with a Content-Length. */
  const signedStreamingPut = (
    target: string,
    decodedLength: number,
    framed: Buffer,
    extra: string[] = [],
  ) => [
    `PUT ${target} HTTP/1.1`,
    `Host: 127.0.0.1:${edge.port}`,
    'Content-Encoding: aws-chunked',
    ...extra,
    'x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
    `x-amz-decoded-content-length: ${decodedLength}`,
    SIGV4,
    `Content-Length: ${framed.length}`,
  ];

  it('stores the payload of a signed aws-chunked body, whatever the network splits', async () => {
    const payload = randomBytes(100_000);
    const framed = awsChunked(payload, { chunkSize: 8192, signed: true });
    for (const split of [1, 7, 8192 + 3, framed.length]) {
      const key = `chunked/signed-${split}.bin`;
      const response = await rawRequest(
        edge.port,
        signedStreamingPut(`/${bucket}/${key}`, payload.length, framed, [
          'Content-Type: application/octet-stream',
        ]),
        split === 1
          ? pieces(framed.subarray(0, 300), 1).concat([framed.subarray(300)])
          : pieces(framed, split),
      );
      expect(response.status, response.body).toBe(200);
      expect((await stored(key)).body.equals(payload)).toBe(true);
    }
  });

  it('stores the payload of an unsigned aws-chunked body with a checksum trailer, inside HTTP chunking', async () => {
    const payload = Buffer.from('id,name\n1,Ada\n2,Grace\n');
    const framed = awsChunked(payload, {
      chunkSize: 10,
      trailers: { 'x-amz-checksum-crc32': crc32Base64(payload) },
    });
    const response = await rawRequest(
      edge.port,
      [
        `PUT /${bucket}/chunked/trailer.csv HTTP/1.1`,
        `Host: 127.0.0.1:${edge.port}`,
        'Content-Encoding: aws-chunked',
        'Content-Type: text/csv',
        'x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER',
        'x-amz-trailer: x-amz-checksum-crc32',
        `x-amz-decoded-content-length: ${payload.length}`,
        'Transfer-Encoding: chunked',
        SIGV4,
      ],
      [httpChunked(framed, 13)],
    );
    expect(response.status, response.body).toBe(200);
    const object = await stored('chunked/trailer.csv');
    expect(object.body.equals(payload)).toBe(true);
    expect(object.contentType).toBe('text/csv');
  });

  it('decodes a streaming body whose client left out Content-Encoding: aws-chunked', async () => {
    const payload = Buffer.from('no content-encoding header');
    const framed = awsChunked(payload, { chunkSize: 5, signed: true });
    const response = await rawRequest(
      edge.port,
      [
        `PUT /${bucket}/chunked/no-ce.txt HTTP/1.1`,
        `Host: 127.0.0.1:${edge.port}`,
        'x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
        `x-amz-decoded-content-length: ${payload.length}`,
        SIGV4,
        `Content-Length: ${framed.length}`,
      ],
      [framed],
    );
    expect(response.status, response.body).toBe(200);
    expect((await stored('chunked/no-ce.txt')).body.equals(payload)).toBe(true);
  });

  it('decodes aws-chunked parts of a multipart upload', async () => {
    const key = 'chunked/multipart.bin';
    const { UploadId } = await s3().send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    const payload = randomBytes(5 * 1024 * 1024 + 17);
    const framed = awsChunked(payload, { chunkSize: 65_536, signed: true });
    const response = await rawRequest(
      edge.port,
      signedStreamingPut(
        `/${bucket}/${key}?partNumber=1&uploadId=${encodeURIComponent(UploadId!)}`,
        payload.length,
        framed,
      ),
      pieces(framed, 100_000),
    );
    expect(response.status, response.body).toBe(200);
    await s3().send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: response.headers.etag }] },
      }),
    );
    expect((await stored(key)).body.equals(payload)).toBe(true);
  });

  it.each([
    [
      'a chunk size that is not hex',
      (p: Buffer) => Buffer.concat([Buffer.from('zz\r\n'), p, Buffer.from('\r\n0\r\n\r\n')]),
    ],
    [
      'a chunk longer than its size',
      (p: Buffer) => Buffer.concat([Buffer.from('2\r\n'), p, Buffer.from('\r\n0\r\n\r\n')]),
    ],
    [
      'no final chunk',
      (p: Buffer) => Buffer.concat([Buffer.from(`${p.length.toString(16)}\r\n`), p, Buffer.from('\r\n')]),
    ],
  ])('refuses %s with an S3 error and stores nothing', async (_name, frame) => {
    const payload = Buffer.from('payload');
    const framed = frame(payload);
    const key = `chunked/bad-${randomBytes(4).toString('hex')}`;
    const response = await rawRequest(
      edge.port,
      signedStreamingPut(`/${bucket}/${key}`, payload.length, framed),
      [framed],
    );
    expect(response.status).toBe(400);
    expect(response.body).toMatch(/<Error><Code>(IncompleteBody|InvalidRequest)<\/Code>/);
    expect(await missing(key)).toBe(true);
  });

  it('refuses a body whose decoded length differs from x-amz-decoded-content-length', async () => {
    const payload = Buffer.from('twelve bytes');
    const framed = awsChunked(payload, { chunkSize: 4, signed: true });
    const response = await rawRequest(
      edge.port,
      signedStreamingPut(`/${bucket}/chunked/short`, payload.length + 5, framed),
      [framed],
    );
    expect(response.status).toBe(400);
    expect(response.body).toContain('<Code>IncompleteBody</Code>');
    expect(await missing('chunked/short')).toBe(true);
  });

  it('refuses a trailer checksum that does not match the payload (BadDigest)', async () => {
    const payload = Buffer.from('checksummed');
    const framed = awsChunked(payload, {
      chunkSize: 4,
      trailers: { 'x-amz-checksum-crc32': crc32Base64(Buffer.from('something else')) },
    });
    const response = await rawRequest(
      edge.port,
      [
        `PUT /${bucket}/chunked/bad-digest HTTP/1.1`,
        `Host: 127.0.0.1:${edge.port}`,
        'Content-Encoding: aws-chunked',
        'x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER',
        'x-amz-trailer: x-amz-checksum-crc32',
        `x-amz-decoded-content-length: ${payload.length}`,
        SIGV4,
        `Content-Length: ${framed.length}`,
      ],
      [framed],
    );
    expect(response.status).toBe(400);
    expect(response.body).toContain('<Code>BadDigest</Code>');
    expect(await missing('chunked/bad-digest')).toBe(true);
  });

  it('logged no server error for any of these shapes', () => {
    expect(serverErrors()).toEqual([]);
  });
});

describe('addressing', () => {
  async function putAndGet(host: string, path: string, body: string) {
    const put = await rawRequest(
      edge.port,
      [`PUT ${path} HTTP/1.1`, `Host: ${host}`, 'Content-Type: text/plain', `Content-Length: ${body.length}`],
      [body],
    );
    const get = await rawRequest(edge.port, [`GET ${path} HTTP/1.1`, `Host: ${host}`]);
    return { put: put.status, get: get.status, body: get.body };
  }

  it.each([
    ['a container host name', (p: number) => `host.docker.internal:${p}`],
    ['LocalStack’s path-style host', (p: number) => `s3.localhost.localstack.cloud:${p}`],
    ['a compose service name', (p: number) => `edge:${p}`],
  ])('serves path-style requests whatever dots the host has: %s', async (_name, host) => {
    const key = `addressing/path-${randomBytes(3).toString('hex')}.txt`;
    const result = await putAndGet(host(edge.port), `/${bucket}/${key}`, 'path-style');
    expect(result).toEqual({ put: 200, get: 200, body: 'path-style' });
    expect((await stored(key)).body.toString()).toBe('path-style');
  });

  it.each([
    ['<bucket>.localhost', (b: string, p: number) => `${b}.localhost:${p}`],
    ['<bucket>.s3.localhost', (b: string, p: number) => `${b}.s3.localhost:${p}`],
    [
      'LocalStack’s <bucket>.s3.localhost.localstack.cloud',
      (b: string, p: number) => `${b}.s3.localhost.localstack.cloud:${p}`,
    ],
  ])('serves virtual-hosted requests: %s', async (_name, host) => {
    const key = `addressing/virtual-${randomBytes(3).toString('hex')}.txt`;
    const result = await putAndGet(host(bucket, edge.port), `/${key}`, 'virtual');
    expect(result).toEqual({ put: 200, get: 200, body: 'virtual' });
    expect((await stored(key)).body.toString()).toBe('virtual');
    const location = await rawRequest(edge.port, [
      'GET /?location HTTP/1.1',
      `Host: ${host(bucket, edge.port)}`,
    ]);
    expect(location.body).toContain(`>${edge.region}</LocationConstraint>`);
  });
});

const curl = commandAvailable('curl');
if (!curl) console.log('skipped: no `curl` command on this machine (curl request-shape tests)');

describe.skipIf(!curl)('curl', () => {
  const url = (key: string) => `${edge.endpoint}/${bucket}/${key}`;
  /** Runs curl; its output is the response body (when kept), then a line with the status. */
  const curlStatus = async (args: string[], input?: string) => {
    const result = await run(
      'curl',
      ['-sS', '-w', '\n%{http_code}', ...args],
      input === undefined ? {} : { input },
    );
    const lines = result.stdout.trimEnd().split('\n');
    return { status: lines.at(-1), body: lines.slice(0, -1).join('\n') };
  };
  /** A PUT by curl whose answer body is not kept: its status. */
  const curlPut = async (args: string[], input?: string) =>
    (await curlStatus(['-o', '/dev/null', '-X', 'PUT', ...args], input)).status;

  it('PUT with Content-Length: 0 stores an empty object', async () => {
    expect(await curlPut(['-H', 'Content-Length: 0', url('curl/x/y.flag')])).toBe('200');
    expect((await stored('curl/x/y.flag')).body.length).toBe(0);
  });

  it('PUT --data-binary (curl’s form content type) stores the bytes', async () => {
    expect(await curlPut(['--data-binary', 'a=1&b=2', url('curl/form')])).toBe('200');
    expect((await stored('curl/form')).body.toString()).toBe('a=1&b=2');
  });

  it('PUT -T - streams a chunked body', async () => {
    expect(await curlPut(['-T', '-', url('curl/chunked.txt')], 'streamed through stdin\n')).toBe('200');
    expect((await stored('curl/chunked.txt')).body.toString()).toBe('streamed through stdin\n');
  });

  it('PUT -T - of a chunked body over the 11 MiB limit answers EntityTooLarge (400), not a 5xx', async () => {
    const put = await curlStatus(['-T', '-', url('curl/too-big.bin')], 'x'.repeat(12 * 1024 * 1024));
    expect(put.status).toBe('400');
    expect(put.body).toContain('<Code>EntityTooLarge</Code>');
    expect(await missing('curl/too-big.bin')).toBe(true);
    expect(serverErrors()).toEqual([]);
  });

  it('PUT with Expect: 100-continue stores the body', async () => {
    const headers = ['-H', 'Expect: 100-continue', '-H', 'Content-Type: text/plain'];
    expect(await curlPut([...headers, '--data-binary', 'continued', url('curl/continue.txt')])).toBe('200');
    expect((await stored('curl/continue.txt')).body.toString()).toBe('continued');
  });

  it('completes a multipart upload whose XML body curl sends as a form', async () => {
    const key = 'curl/multipart.bin';
    const { UploadId } = await s3().send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    const partUrl = `${url(key)}?partNumber=1&uploadId=${encodeURIComponent(UploadId!)}`;
    const part = await run('curl', [
      '-sS',
      '-D',
      '-',
      '-o',
      '/dev/null',
      '-X',
      'PUT',
      '--data-binary',
      'part one',
      partUrl,
    ]);
    const eTag = /etag: (\S+)/i.exec(part.stdout)![1]!;
    const completion = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${eTag}</ETag></Part></CompleteMultipartUpload>`;
    const done = await curlStatus([
      '-X',
      'POST',
      '--data-binary',
      completion,
      `${url(key)}?uploadId=${encodeURIComponent(UploadId!)}`,
    ]);
    expect(done.status).toBe('200');
    expect((await stored(key)).body.toString()).toBe('part one');
  });

  it('GET ?location answers the bucket’s region', async () => {
    const got = await run('curl', ['-sS', `${edge.endpoint}/${bucket}?location`]);
    expect(got.stdout).toContain(`>${edge.region}</LocationConstraint>`);
  });

  it('a PUT to an object’s ?tagging is refused (501), not stored over the object', async () => {
    await s3().send(new PutObjectCommand({ Bucket: bucket, Key: 'curl/tagged', Body: 'data' }));
    const put = await curlStatus([
      '-X',
      'PUT',
      '-H',
      'Content-Type: application/xml',
      '--data-binary',
      '<Tagging><TagSet/></Tagging>',
      `${url('curl/tagged')}?tagging`,
    ]);
    expect(put.status).toBe('501');
    expect(put.body).toContain('<Code>NotImplemented</Code>');
    expect((await stored('curl/tagged')).body.toString()).toBe('data');
  });
});
