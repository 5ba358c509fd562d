import { mkdtemp, readdir, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { buildApp } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawHttp } from '../../scripts/chaos/edge-attacks.ts';
import { createBucket } from '../../src/aws/buckets.ts';
import { createS3Client } from '../../src/aws/clients.ts';
import { installEmulatorErrorHandler, markS3Request } from '../../src/edge/emulator-errors.ts';
import { logServerErrors } from '../../src/edge/http-util.ts';
import { type Edge, startEdge } from '../../src/edge/index.ts';
import { S3StorageError } from '../../src/edge/s3-storage/index.ts';
import { uniqueName } from '../../src/testing/index.ts';
import { waitFor } from '../../src/util/wait.ts';
import { capturingLogger } from '../clients/support.ts';

/*
 * Every 5xx is logged once, with its request line, whichever part of the edge answered it: the
 * emulator's error handler and the S3 storage note the cause, the edge's observer writes the line.
 */

const errorLines = (log: ReturnType<typeof capturingLogger>) =>
  log.lines().filter((line) => Number(line.level) >= 50);

describe('the emulator’s error handler', () => {
  let server: http.Server;
  let port: number;
  const log = capturingLogger();

  beforeAll(async () => {
    const app = buildApp({ logger: false });
    app.get('/s3-bucket/boom', async () => {
      throw new Error('emulator bug');
    });
    app.get('/s3-bucket/missing', async () => {
      throw new S3StorageError('NoSuchKey', 'The specified key does not exist.', 404, '/s3-bucket/missing');
    });
    app.get('/_fauxqs/boom', async () => {
      throw new Error('inspection bug');
    });
    installEmulatorErrorHandler(app);
    await app.ready();
    server = http.createServer((req, res) => {
      logServerErrors(req, res, log.logger);
      if (req.url?.startsWith('/s3-bucket/')) markS3Request(req);
      app.routing(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('answers an S3 request’s failure as S3 XML, and its 5xx is logged once with the cause', async () => {
    const answer = await rawHttp(`http://127.0.0.1:${port}`, { method: 'GET', path: '/s3-bucket/boom' });
    expect(answer.status).toBe(500);
    expect(answer.headers['content-type']).toContain('application/xml');
    expect(answer.body).toContain('<Code>InternalError</Code>');
    await waitFor(() => errorLines(log).length === 1, { description: 'one error line' });
    expect(errorLines(log)[0]).toMatchObject({
      msg: 'edge answered 500 to GET /s3-bucket/boom',
      method: 'GET',
      url: '/s3-bucket/boom',
      status: 500,
      err: { message: 'emulator bug' },
    });
  });

  it('answers a storage error in S3 XML naming its resource, and logs nothing (a 4xx)', async () => {
    const before = errorLines(log).length;
    const answer = await rawHttp(`http://127.0.0.1:${port}`, { method: 'GET', path: '/s3-bucket/missing' });
    expect(answer.status).toBe(404);
    expect(answer.body).toContain('<Code>NoSuchKey</Code>');
    expect(answer.body).toContain('<Resource>/s3-bucket/missing</Resource>');
    const head = await rawHttp(`http://127.0.0.1:${port}`, { method: 'HEAD', path: '/s3-bucket/missing' });
    expect(head).toMatchObject({ status: 404, body: '' });
    expect(errorLines(log).length).toBe(before);
  });

  it('keeps the framework’s JSON shape for requests that are not S3’s, and logs their 5xx too', async () => {
    const before = errorLines(log).length;
    const answer = await rawHttp(`http://127.0.0.1:${port}`, { method: 'GET', path: '/_fauxqs/boom' });
    expect(answer.status).toBe(500);
    expect(JSON.parse(answer.body)).toMatchObject({ statusCode: 500, message: 'inspection bug' });
    await waitFor(() => errorLines(log).length === before + 1, { description: 'one more error line' });
    expect(errorLines(log).at(-1)).toMatchObject({
      msg: 'edge answered 500 to GET /_fauxqs/boom',
      err: { message: 'inspection bug' },
    });
  });
});

describe('the S3 storage’s failures through the edge', () => {
  let edge: Edge;
  let directory: string;
  const log = capturingLogger();

  beforeAll(async () => {
    directory = path.join(await mkdtemp(path.join(os.tmpdir(), 'edge-5xx-')), 's3');
    edge = await startEdge({ port: 0, logger: log.logger, s3StorageDir: directory });
  });
  afterAll(async () => {
    await edge?.stop();
    await rm(path.dirname(directory), { recursive: true, force: true });
  });

  it('a PUT the storage cannot write is a 500 in S3 XML and one error line; a GET whose file is gone is cut and logged', async () => {
    const s3 = createS3Client(edge.target);
    const bucket = uniqueName('broken');
    await createBucket(s3, bucket);
    const large = Buffer.alloc(1024 * 1024, 7); // past the in-memory size: a body file
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'stored.bin', Body: large }));
    s3.destroy();
    expect(await readdir(path.join(directory, 'blobs'))).toHaveLength(1);
    // The disk goes away under the storage.
    await rm(path.join(directory, 'blobs'), { recursive: true, force: true });
    const quiet = errorLines(log).length;

    const put = await rawHttp(edge.endpoint, { method: 'PUT', path: `/${bucket}/new.bin`, body: large });
    expect(put.status).toBe(500);
    expect(put.body).toContain('<Code>InternalError</Code>');
    await waitFor(() => errorLines(log).length === quiet + 1, { description: 'the PUT’s error line' });
    expect(errorLines(log)[quiet]).toMatchObject({
      msg: `edge answered 500 to PUT /${bucket}/new.bin`,
      status: 500,
      err: { code: 'ENOENT' },
    });

    await expect(rawHttp(edge.endpoint, { method: 'GET', path: `/${bucket}/stored.bin` })).rejects.toThrow();
    await waitFor(() => errorLines(log).length === quiet + 2, { description: 'the GET’s error line' });
    expect(errorLines(log)[quiet + 1]).toMatchObject({
      msg: `edge cut the response to GET /${bucket}/stored.bin after a failure`,
      err: { code: 'ENOENT' },
    });
    // Each failure has exactly one line: neither the storage nor fail() logged it again.
    expect(log.lines().filter((line) => line.msg === 'edge request failed')).toEqual([]);
    expect(errorLines(log)).toHaveLength(quiet + 2);
  });
});
