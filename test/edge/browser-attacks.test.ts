import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawHttp } from '../../scripts/chaos/edge-attacks.ts';
import { LEVEL, LogCapture } from '../../scripts/chaos/logs.ts';
import { createBucket } from '../../src/aws/buckets.ts';
import { createS3Client } from '../../src/aws/clients.ts';
import { type Edge, startEdge } from '../../src/edge/index.ts';
import { uniqueName } from '../../src/testing/index.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';

/*
 * Issue 12, item 6, with a real browser (headless Chromium from npm, through test/helpers/browser.ts): a page of
 * another site, `http://evil.example:<port>` (resolved to 127.0.0.1 by Chromium's host resolver
 * rules), tries the two attacks. A cross-site `fetch` POST of `?delete` with `text/plain` (no CORS
 * preflight) reaches the edge with the page's `Origin`, and is refused. A read under the rebound
 * name (`http://evil.example:<edge port>/…`) reaches the edge with that `Host`, and is refused.
 */

let edge: Edge;
let logs: LogCapture;
let s3: S3Client;
let bucket: string;
let attacker: http.Server;
let attackerPort: number;
let browser: TestBrowser;
let page: Page;

beforeAll(async () => {
  logs = new LogCapture('edge');
  edge = await startEdge({ port: 0, logger: logs.logger, allowedHosts: [], allowedOrigins: [] });
  s3 = createS3Client(edge.target);
  bucket = uniqueName('victim');
  await createBucket(s3, bucket);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'precious.csv', Body: 'precious' }));
  attacker = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>innocent page</title>');
  });
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  attackerPort = (attacker.address() as AddressInfo).port;
  browser = await launchBrowser({ extraArgs: ['--host-resolver-rules=MAP evil.example 127.0.0.1'] });
  page = await browser.newPage();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (attacker ? attacker.close(() => resolve()) : resolve()));
  s3?.destroy();
  await edge?.stop();
});

const stillThere = async () =>
  (await rawHttp(edge.endpoint, { method: 'GET', path: `/${bucket}/precious.csv` })).body === 'precious';

describe('attacks from a web page in a real browser', () => {
  it('a page of evil.example cannot delete objects with a preflight-free fetch POST ?delete', async () => {
    await page.goto(`http://evil.example:${attackerPort}/`);
    const target = `http://127.0.0.1:${edge.port}/${bucket}?delete`;
    const outcome = await page.evaluate(async (url) => {
      // `no-cors` + text/plain: a "simple" request, sent without a preflight; the answer is opaque.
      await fetch(url, {
        method: 'POST',
        mode: 'no-cors',
        headers: { 'content-type': 'text/plain' },
        body: '<Delete><Object><Key>precious.csv</Key></Object></Delete>',
      });
      return 'sent';
    }, target);
    expect(outcome).toBe('sent');
    const refused = logs.find(LEVEL.warn, {
      msg: 'cross-site request refused',
      request: `POST /${bucket}?delete`,
    });
    expect(refused).toHaveLength(1);
    expect(refused[0]!.origin).toBe(`http://evil.example:${attackerPort}`);
    expect(await stillThere()).toBe(true);
  });

  it('a page rebound to 127.0.0.1 under evil.example cannot read objects', async () => {
    const response = await page.goto(`http://evil.example:${edge.port}/${bucket}/precious.csv`);
    expect(response?.status()).toBe(403);
    expect(await page.content()).not.toContain('>precious<');
    expect(await page.content()).toContain('AccessDenied');
  });

  it('a page of this machine (http://127.0.0.1:<port>) is served: the same POST does delete', async () => {
    // The control: the very request the foreign page sent works from a local page, so the refusal
    // above is the origin check, not the browser declining to send it.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'disposable.csv', Body: 'x' }));
    await page.goto(`http://127.0.0.1:${attackerPort}/`);
    const target = `http://127.0.0.1:${edge.port}/${bucket}?delete`;
    await page.evaluate(async (url) => {
      await fetch(url, {
        method: 'POST',
        mode: 'no-cors',
        headers: { 'content-type': 'text/plain' },
        body: '<Delete><Object><Key>disposable.csv</Key></Object></Delete>',
      });
    }, target);
    const gone = await rawHttp(edge.endpoint, { method: 'GET', path: `/${bucket}/disposable.csv` });
    expect(gone.status).toBe(404);
    expect(await stillThere()).toBe(true);
    const health = await page.goto(`http://localhost:${edge.port}/_edge/health`);
    expect(health?.status()).toBe(200);
  });
});
