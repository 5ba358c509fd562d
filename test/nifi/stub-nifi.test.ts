import { randomBytes } from 'node:crypto';
import https from 'node:https';
import { Readable } from 'node:stream';
import { DeleteBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCertificates } from '../../src/tls/certificates.ts';
import { waitFor } from '../../src/util/wait.ts';
import type { StubNifi } from '../../stubs/nifi/server.ts';
import { getObject, type NifiTestEnvironment, request, sha256, startNifiEnvironment } from './support.ts';

const BUCKET = 'stub-hdfs-nifi-test';
const LIMITED_BUCKET = 'stub-hdfs-nifi-limited';
const LIMIT = 10 * 1024 * 1024;

let env: NifiTestEnvironment;
let stub: StubNifi;
/** Same, with a 10 MiB body limit and its own bucket. */
let limited: StubNifi;

beforeAll(async () => {
  env = await startNifiEnvironment(BUCKET, LIMITED_BUCKET);
  stub = await env.startStub({ bucket: BUCKET });
  limited = await env.startStub({ bucket: LIMITED_BUCKET, maxBodyBytes: LIMIT });
});

afterAll(async () => {
  await stub?.stop();
  await limited?.stop();
  await env?.close();
});

const post = (target: StubNifi, path: string, options: Parameters<typeof request>[3] = {}) =>
  request(target.url, env.certs, path, options);

describe('stub NiFi stores what it receives', () => {
  it('POST <path> with a filename header → s3://<bucket>/<path>/<filename>, bytes identical, headers as metadata', async () => {
    const body = randomBytes(64 * 1024);
    const response = await post(stub, '/internal/DA/inbound/Test', {
      headers: {
        filename: 'store-me.bin',
        'content-type': 'application/octet-stream',
        'x-api-key': 'secret',
      },
      body,
    });
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({
      bucket: BUCKET,
      key: 'internal/DA/inbound/Test/store-me.bin',
      bytes: body.length,
    });
    const stored = await getObject(env.kit.clients.s3, BUCKET, 'internal/DA/inbound/Test/store-me.bin');
    expect(sha256(stored!.body)).toBe(sha256(body));
    expect(stored!.metadata).toMatchObject({
      filename: 'store-me.bin',
      'content-type': 'application/octet-stream',
      'x-api-key': 'present',
    });
    expect(stub.received().at(-1)).toMatchObject({
      status: 200,
      key: 'internal/DA/inbound/Test/store-me.bin',
      sha256: sha256(body),
      client: 'egress-sandbox client',
    });
  });

  it('answers GET /health', async () => {
    const response = await post(stub, '/health', { method: 'GET' });
    expect(response).toEqual({ status: 200, json: { status: 'ok', bucket: BUCKET } });
  });

  it('streams a 24 MiB body to S3 intact (multipart: the embedded S3 refuses single bodies over 11 MiB)', async () => {
    const body = randomBytes(24 * 1024 * 1024);
    // Chunked, without content-length, in 1 MiB pieces: the stub cannot buffer by length.
    const chunks = Array.from({ length: 24 }, (_, i) =>
      body.subarray(i * 1024 * 1024, (i + 1) * 1024 * 1024),
    );
    const response = await post(stub, '/large', {
      headers: { filename: 'large.bin' },
      body: Readable.from(chunks),
    });
    expect(response.status).toBe(200);
    const stored = await getObject(env.kit.clients.s3, BUCKET, 'large/large.bin');
    expect(stored!.body.length).toBe(body.length);
    expect(sha256(stored!.body)).toBe(sha256(body));
  });

  it('puts a POST on / at the bucket root', async () => {
    expect(
      (await post(stub, '/', { headers: { filename: 'root.txt' }, body: Buffer.from('r') })).status,
    ).toBe(200);
    expect(await env.kit.keys(BUCKET, 'root.txt')).toEqual(['root.txt']);
  });
});

describe('stub NiFi refuses unsafe requests and stores nothing', () => {
  it.each([
    ['no filename header', '/refuse/a', {}, 400, /missing filename/],
    ['a filename with /', '/refuse/b', { filename: 'x/y.txt' }, 400, /single path segment/],
    ['a filename with \\', '/refuse/c', { filename: 'x\\y.txt' }, 400, /single path segment/],
    ['a filename of ..', '/refuse/d', { filename: '..' }, 400, /\.\./],
    ['a filename containing ..', '/refuse/e', { filename: 'a..b' }, 400, /\.\./],
    ['a filename with a TAB', '/refuse/f', { filename: 'tab\there.txt' }, 400, /control character/],
    ['a .. path segment', '/refuse/../g', { filename: 'ok.txt' }, 400, /"\." or "\.\." segments/],
    [
      'an encoded .. path segment',
      '/refuse/%2e%2e/h',
      { filename: 'ok.txt' },
      400,
      /"\." or "\.\." segments/,
    ],
    ['an encoded / in the path', '/refuse/i%2Fj', { filename: 'ok.txt' }, 400, /encoded/],
  ])('%s', async (_what, path, headers, status, reason) => {
    const response = await post(stub, path, { headers, body: Buffer.from('payload') });
    expect(response.status).toBe(status);
    expect(String(response.json.error)).toMatch(reason);
    expect(await env.kit.keys(BUCKET, 'refuse')).toEqual([]);
  });

  it('refuses a declared over-size body with 413 before reading it', async () => {
    const body = randomBytes(LIMIT + 1);
    const response = await post(limited, '/oversize', {
      headers: { filename: 'declared.bin', 'content-length': body.length },
      body,
    });
    expect(response.status).toBe(413);
    expect(String(response.json.error)).toMatch(/exceeds the limit/);
    expect(await env.kit.keys(LIMITED_BUCKET)).toEqual([]);
  });

  it('aborts a chunked body that grows past the limit mid-upload: 413, no object, no multipart upload left', async () => {
    // Its own bucket: the embedded S3 refuses to delete a bucket with an unfinished multipart upload.
    const bucket = 'stub-hdfs-nifi-abort';
    await env.kit.createBuckets(bucket);
    const own = await env.startStub({ bucket, maxBodyBytes: LIMIT });
    try {
      // 16 MiB in 1 MiB chunks: the first 8 MiB part is already uploaded when the limit is crossed.
      const chunk = randomBytes(1024 * 1024);
      const response = await post(own, '/oversize', {
        headers: { filename: 'chunked.bin' },
        body: Readable.from(Array.from({ length: 16 }, () => chunk)),
      });
      expect(response.status).toBe(413);
      expect(own.received().at(-1)).toMatchObject({ status: 413, filename: 'chunked.bin' });
      expect(await env.kit.keys(bucket)).toEqual([]);
      await env.kit.clients.s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    } finally {
      await own.stop();
    }
  });

  it('keeps accepting bodies under the limit after refusing one', async () => {
    const chunk = randomBytes(1024 * 1024);
    const ok = await post(limited, '/oversize', { headers: { filename: 'fits.bin' }, body: chunk });
    expect(ok.status).toBe(200);
    expect(await env.kit.keys(LIMITED_BUCKET)).toEqual(['oversize/fits.bin']);
  });

  it('refuses a client without a certificate in the TLS handshake', async () => {
    const before = stub.received().length;
    const attempt = post(stub, '/nocert', {
      headers: { filename: 'nocert.txt' },
      body: Buffer.from('x'),
      clientCert: false,
    });
    await expect(attempt).rejects.toThrow(/certificate|socket hang up|ECONNRESET/i);
    expect(stub.received().length).toBe(before);
    expect(await env.kit.keys(BUCKET, 'nocert')).toEqual([]);
  });

  it('refuses a client certificate from another CA', async () => {
    const stranger = await generateCertificates();
    const attempt = post(stub, '/stranger', {
      headers: { filename: 'stranger.txt' },
      body: Buffer.from('x'),
      identity: { cert: stranger.clientCert, key: stranger.clientKey },
    });
    await expect(attempt).rejects.toThrow(/certificate|unknown ca|socket hang up|ECONNRESET/i);
    expect(await env.kit.keys(BUCKET, 'stranger')).toEqual([]);
  });

  it('stores nothing when the client goes away mid-body, and keeps serving', async () => {
    const url = new URL('/abandoned', stub.url);
    await new Promise<void>((resolve) => {
      const req = https.request(url, {
        method: 'POST',
        ca: env.certs.ca,
        cert: env.certs.clientCert,
        key: env.certs.clientKey,
        headers: { filename: 'abandoned.bin', 'content-length': 4 * 1024 * 1024 },
      });
      req.on('error', () => resolve());
      req.write(randomBytes(1024 * 1024), () => setTimeout(() => req.destroy(), 50));
    });
    await waitFor(() => stub.received().find((entry) => entry.filename === 'abandoned.bin'), {
      description: 'the abandoned request to be recorded',
    });
    expect(stub.received().find((entry) => entry.filename === 'abandoned.bin')?.status).toBe(499);
    expect(await env.kit.keys(BUCKET, 'abandoned')).toEqual([]);
    expect((await post(stub, '/health', { method: 'GET' })).status).toBe(200);
  });

  it('answers 405 to other methods', async () => {
    expect((await post(stub, '/x', { method: 'PUT', body: Buffer.from('x') })).status).toBe(405);
  });
});

describe('fault knobs', () => {
  it('failNext(n) fails the next n POSTs with the status, storing nothing, then recovers', async () => {
    stub.faults.failNext(2);
    const send = () => post(stub, '/faults', { headers: { filename: 'f.txt' }, body: Buffer.from('f') });
    expect((await send()).status).toBe(503);
    expect(await env.kit.keys(BUCKET, 'faults')).toEqual([]);
    expect((await send()).status).toBe(503);
    expect((await send()).status).toBe(200);
    stub.faults.failNext(1, 429);
    expect((await send()).status).toBe(429);
    expect((await send()).status).toBe(200);
  });

  it('setLatency delays each POST; reset clears every fault', async () => {
    stub.faults.setLatency(300);
    stub.faults.failNext(5);
    const started = Date.now();
    const slow = await post(stub, '/latency', { headers: { filename: 'l.txt' }, body: Buffer.from('l') });
    expect(slow.status).toBe(503);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    stub.faults.reset();
    const quick = Date.now();
    expect(
      (await post(stub, '/latency', { headers: { filename: 'l.txt' }, body: Buffer.from('l') })).status,
    ).toBe(200);
    expect(Date.now() - quick).toBeLessThan(290);
  });

  it('validates its options and knobs', async () => {
    expect(() => stub.faults.failNext(-1)).toThrow(/non-negative/);
    expect(() => stub.faults.setLatency(Number.NaN)).toThrow(/latency/);
    await expect(env.startStub({ bucket: BUCKET, maxBodyBytes: 0 })).rejects.toThrow(/maxBodyBytes/);
    await expect(env.startStub({ port: stub.port, bucket: BUCKET })).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('plain HTTP mode', () => {
  it('serves http:// when tls is false', async () => {
    const plain = await env.startStub({ bucket: BUCKET, tls: false });
    try {
      expect(plain.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const response = await fetch(new URL('/plain', plain.url), {
        method: 'POST',
        headers: { filename: 'plain.txt' },
        body: 'plain',
      });
      expect(response.status).toBe(200);
      expect((await getObject(env.kit.clients.s3, BUCKET, 'plain/plain.txt'))!.body.toString()).toBe('plain');
    } finally {
      await plain.stop();
    }
  });
});
