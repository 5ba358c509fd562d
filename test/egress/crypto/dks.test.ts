import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DataKeyDecryptionError,
  DataKeyServiceClient,
  type DataKeyServiceClientOptions,
  DataKeyServiceUnavailableError,
} from '../../../src/egress/crypto/dks/dks-client.ts';
import { DksTransportError } from '../../../src/egress/crypto/dks/dks-http.ts';
import { shortKeyHash } from '../../../src/egress/crypto/key-hash.ts';
import {
  type CertificateMaterial,
  ensureCertificates,
  loadCertificates,
} from '../../../src/tls/certificates.ts';
import { type DksStub, startDksStub } from '../../../stubs/dks/index.ts';
import { captureLogger, keyForms } from './helpers.ts';

// A key id that needs form-URL-encoding: ':' → %3A, ',' → %2C, ' ' → '+'.
const KEY_ID = 'arn:aws:kms:eu-west-2:000000000000:key/a,b c';
const OTHER_KEY_ID = 'sandbox-master-key-1';
const FAST_RETRY = { attempts: 5, initialDelayMs: 1, multiplier: 2, maxDelayMs: 4 };

let certsDir: string;
let certs: CertificateMaterial;
let stub: DksStub;
const stubLog = captureLogger('dks-stub');
const clientLog = captureLogger('dks-client');
const clients: DataKeyServiceClient[] = [];
/** Every plaintext key seen, and every error message produced, for the leak check at the end. */
const plaintextKeys: Buffer[] = [];
const errorMessages: string[] = [];

beforeAll(async () => {
  certsDir = await mkdtemp(path.join(os.tmpdir(), 'dks-certs-'));
  certs = await loadCertificates(await ensureCertificates(certsDir));
  stub = await startDksStub({ tls: certs, keyIds: [KEY_ID, OTHER_KEY_ID], logger: stubLog.logger });
});

afterAll(async () => {
  await stub?.stop();
  await rm(certsDir, { recursive: true, force: true });
});

beforeEach(() => stub.faults.reset());
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

function client(overrides: Partial<DataKeyServiceClientOptions> = {}): DataKeyServiceClient {
  const created = new DataKeyServiceClient({
    url: stub.url,
    tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey },
    retry: FAST_RETRY,
    logger: clientLog.logger,
    ...overrides,
  });
  clients.push(created);
  return created;
}

function decryptCalls(): number {
  return stub.requests.filter((r) => r.path === '/datakey/actions/decrypt').length;
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  errorMessages.push((error as Error).message);
  return error as Error;
}

async function generated(dks: DataKeyServiceClient) {
  const key = await dks.generateDataKey();
  plaintextKeys.push(key.plaintextDataKey);
  return key;
}

describe('DKS stub and client over mutual TLS', () => {
  it('generates a data key and decrypts its wrapped form back to the same key', async () => {
    const dks = client();
    const key = await generated(dks);
    expect(key.keyEncryptionKeyId).toBe(KEY_ID);
    expect(key.plaintextDataKey).toHaveLength(32);
    expect(key.encryptedDataKey).not.toContain(key.plaintextDataKey.toString('base64'));
    const decrypted = await dks.decryptDataKey(key.keyEncryptionKeyId, key.encryptedDataKey);
    expect(decrypted.equals(key.plaintextDataKey)).toBe(true);
    // The stub saw the key id decoded from the form-encoded query, and the correlation id.
    const last = stub.requests.at(-1)!;
    expect(last).toMatchObject({ path: '/datakey/actions/decrypt', status: 200, keyId: KEY_ID });
    expect(last.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(last.wrappedKeyHash).toBe(shortKeyHash(key.encryptedDataKey));
  });

  it('wraps each data key freshly (different keys, different ciphertexts)', async () => {
    const dks = client();
    const [a, b] = await Promise.all([generated(dks), generated(dks)]);
    expect(a.plaintextDataKey.equals(b.plaintextDataKey)).toBe(false);
    expect(a.encryptedDataKey).not.toBe(b.encryptedDataKey);
  });

  describe('refusals (400, never retried)', () => {
    const cases: [string, (wrapped: string) => [string, string], RegExp][] = [
      [
        'an unknown keyId',
        (wrapped) => ['arn:aws:kms:eu-west-2:000000000000:key/unknown', wrapped],
        /unknown keyId/,
      ],
      ['a foreign keyId', (wrapped) => [OTHER_KEY_ID, wrapped], /does not unwrap/],
      ['garbage Base64', () => [KEY_ID, randomBytes(60).toString('base64')], /does not unwrap/],
      [
        'a tampered ciphertext',
        (wrapped) => {
          const bytes = Buffer.from(wrapped, 'base64');
          bytes[20]! ^= 1;
          return [KEY_ID, bytes.toString('base64')];
        },
        /does not unwrap/,
      ],
      ['a too-short ciphertext', () => [KEY_ID, 'QUJD'], /does not unwrap/],
      ['bad Base64', () => [KEY_ID, 'this is not base64!'], /not valid Base64/],
    ];

    it.each(cases)('refuses %s after exactly one call', async (_name, input, reason) => {
      const dks = client();
      const key = await generated(dks);
      const [keyId, wrapped] = input(key.encryptedDataKey);
      const before = decryptCalls();
      const error = await failure(dks.decryptDataKey(keyId, wrapped));
      expect(decryptCalls() - before).toBe(1);
      expect(error).toBeInstanceOf(DataKeyDecryptionError);
      const refusal = error as DataKeyDecryptionError;
      expect(refusal.status).toBe(400);
      expect(refusal.keyEncryptionKeyId).toBe(keyId);
      expect(refusal.encryptedKeyHash).toBe(shortKeyHash(wrapped));
      expect(refusal.message).toMatch(
        /^Decrypting encryptedKey: 'sha256:[0-9a-f]{12}' with keyEncryptionKeyId: '.+' data key service returned status code '400' for dks_correlation_id: '[0-9a-f-]{36}'/,
      );
      expect(refusal.message).toMatch(reason);
      expect(refusal.message).not.toContain(wrapped);
      expect(refusal.correlationId).toBe(stub.requests.at(-1)!.correlationId);
    });
  });

  it('recovers when the DKS fails twice (3 calls)', async () => {
    const dks = client();
    const key = await generated(dks);
    stub.faults.failNext(2, 503);
    const before = decryptCalls();
    expect(
      (await dks.decryptDataKey(key.keyEncryptionKeyId, key.encryptedDataKey)).equals(key.plaintextDataKey),
    ).toBe(true);
    expect(decryptCalls() - before).toBe(3);
    expect(stub.requests.slice(-3).map((r) => r.status)).toEqual([503, 503, 200]);
  });

  it('gives up after 5 attempts when the DKS stays unavailable', async () => {
    const dks = client();
    const key = await generated(dks);
    stub.faults.failNext(100, 503);
    const before = decryptCalls();
    const error = await failure(dks.decryptDataKey(key.keyEncryptionKeyId, key.encryptedDataKey));
    expect(error).toBeInstanceOf(DataKeyServiceUnavailableError);
    expect((error as DataKeyServiceUnavailableError).attempts).toBe(5);
    expect((error as DataKeyServiceUnavailableError).status).toBe(503);
    expect(error.message).toMatch(/returned status code '503' .* after 5 attempt\(s\)$/);
    expect(decryptCalls() - before).toBe(5);
  });

  it('retries 429 and gives up on generate with the spec message', async () => {
    const dks = client({ retry: { ...FAST_RETRY, attempts: 2 } });
    stub.faults.failNext(100, 429);
    const error = await failure(dks.generateDataKey());
    expect(error).toBeInstanceOf(DataKeyServiceUnavailableError);
    expect(error.message).toMatch(
      /^Getting batch data key - data key service returned bad status code '429' for dks_correlation_id: '[0-9a-f-]{36}' after 2 attempt/,
    );
  });

  it('does not retry other 4xx answers', async () => {
    const dks = client();
    stub.faults.failNext(100, 403);
    const before = stub.requests.length;
    const error = await failure(dks.generateDataKey());
    expect((error as DataKeyServiceUnavailableError).attempts).toBe(1);
    expect(stub.requests.length - before).toBe(1);
  });

  it('serves a repeated decrypt from the cache without a call', async () => {
    const dks = client();
    const key = await generated(dks);
    await dks.decryptDataKey(key.keyEncryptionKeyId, key.encryptedDataKey);
    const before = decryptCalls();
    const again = await dks.decryptDataKey(key.keyEncryptionKeyId, key.encryptedDataKey);
    expect(again.equals(key.plaintextDataKey)).toBe(true);
    expect(decryptCalls()).toBe(before);
    // Callers get copies: scribbling on one does not poison the cache.
    again.fill(0);
    expect(
      (await dks.decryptDataKey(key.keyEncryptionKeyId, key.encryptedDataKey)).equals(key.plaintextDataKey),
    ).toBe(true);
  });

  it('collapses concurrent identical decrypts into one call, and bounds the cache', async () => {
    const dks = client({ cacheSize: 1 });
    const [a, b] = [await generated(dks), await generated(dks)];
    stub.faults.setLatency(50);
    let before = decryptCalls();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => dks.decryptDataKey(a.keyEncryptionKeyId, a.encryptedDataKey)),
    );
    expect(results.every((key) => key.equals(a.plaintextDataKey))).toBe(true);
    expect(decryptCalls() - before).toBe(1);
    stub.faults.setLatency(0);
    before = decryptCalls();
    await dks.decryptDataKey(b.keyEncryptionKeyId, b.encryptedDataKey); // evicts a
    await dks.decryptDataKey(a.keyEncryptionKeyId, a.encryptedDataKey);
    expect(decryptCalls() - before).toBe(2);
  });

  it('keeps the batch data key for the life of the client', async () => {
    const dks = client();
    const before = stub.requests.length;
    const [first, second] = await Promise.all([dks.batchDataKey(), dks.batchDataKey()]);
    plaintextKeys.push(first.plaintextDataKey);
    expect(second).toEqual(first);
    expect(stub.requests.length - before).toBe(1);
  });

  it('times out a slow DKS and retries, then succeeds once it is fast again', async () => {
    const dks = client({ timeoutMs: 100, retry: { ...FAST_RETRY, attempts: 2 } });
    stub.faults.setLatency(400);
    const started = Date.now();
    const error = await failure(dks.generateDataKey());
    expect(Date.now() - started).toBeLessThan(1500);
    expect(error).toBeInstanceOf(DataKeyServiceUnavailableError);
    expect(error.cause).toBeInstanceOf(DksTransportError);
    expect((error.cause as DksTransportError).code).toBe('ETIMEDOUT');
    stub.faults.setLatency(30);
    const fast = client({ timeoutMs: 2000 });
    expect((await generated(fast)).plaintextDataKey).toHaveLength(32);
  });

  it('honours an AbortSignal without retrying', async () => {
    const dks = client();
    stub.faults.setLatency(2000);
    const controller = new AbortController();
    const started = Date.now();
    const pending = dks.generateDataKey(controller.signal);
    setTimeout(() => controller.abort(new Error('caller gave up')), 50);
    await expect(pending).rejects.toThrow('caller gave up');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('refuses calls after close', async () => {
    const dks = client();
    await dks.close();
    await expect(dks.decryptDataKey(KEY_ID, 'QUJD')).rejects.toThrow(/closed/);
  });

  it('refuses a client without a certificate at the TLS layer', async () => {
    const before = stub.requests.length;
    const dks = client({ tls: { ca: certs.ca }, retry: { attempts: 1 } });
    const error = await failure(dks.generateDataKey());
    expect(error).toBeInstanceOf(DataKeyServiceUnavailableError);
    expect(error.cause).toBeInstanceOf(DksTransportError);
    // No HTTP request ever reached the application.
    expect(stub.requests.length).toBe(before);
  });

  it('refuses a client that does not trust the sandbox CA', async () => {
    const dks = client({ tls: undefined, retry: { attempts: 1 } });
    const error = await failure(dks.generateDataKey());
    expect(String((error.cause as Error).message)).toMatch(/certificate/i);
  });
});

/** Raw HTTPS call with the client certificate, for what the client never sends. */
function raw(
  method: string,
  pathAndQuery: string,
  body?: string,
): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${stub.url}${pathAndQuery}`,
      { method, ca: certs.ca, cert: certs.clientCert, key: certs.clientKey, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            json: JSON.parse(Buffer.concat(chunks).toString() || 'null'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('DKS stub HTTP surface', () => {
  it.each(['/healthcheck', '/health'])('answers %s', async (route) => {
    expect(await raw('GET', route)).toEqual({ status: 200, json: { status: 'OK' } });
  });

  it('refuses a decrypt without a body or without a keyId', async () => {
    expect(
      await raw('POST', `/datakey/actions/decrypt?keyId=${encodeURIComponent(KEY_ID)}`, ''),
    ).toMatchObject({
      status: 400,
      json: { reason: expect.stringMatching(/body/) },
    });
    expect(await raw('POST', '/datakey/actions/decrypt', 'QUJD')).toMatchObject({
      status: 400,
      json: { reason: expect.stringMatching(/keyId/) },
    });
  });

  it('refuses an over-size body with 413', async () => {
    const response = await raw('POST', `/datakey/actions/decrypt?keyId=x`, 'A'.repeat(20 * 1024));
    expect(response.status).toBe(413);
  });

  it('answers unknown routes with a JSON 404', async () => {
    expect((await raw('GET', '/nope')).status).toBe(404);
  });

  it('exposes the fault knobs over HTTP', async () => {
    expect(await raw('POST', '/faults', undefined)).toMatchObject({ status: 200 });
    const set = await new Promise<number>((resolve, reject) => {
      const req = https.request(
        `${stub.url}/faults`,
        {
          method: 'POST',
          ca: certs.ca,
          cert: certs.clientCert,
          key: certs.clientKey,
          agent: false,
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ failNext: 1, status: 502 }));
    });
    expect(set).toBe(200);
    expect((await raw('GET', '/datakey')).status).toBe(502);
    expect((await raw('GET', '/datakey')).status).toBe(201);
  });
});

describe('DKS client wire format', () => {
  it('form-encodes the keyId and sends the wrapped key as ISO-8859-1 text', async () => {
    const seen: { url: string; contentType: string | undefined; body: string }[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        seen.push({
          url: req.url ?? '',
          contentType: req.headers['content-type'],
          body: Buffer.concat(chunks).toString(),
        });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ dataKeyEncryptionKeyId: KEY_ID, plaintextDataKey: 'AAAAAAAAAAAAAAAAAAAAAA==' }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const dks = client({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/dks/` });
      await dks.decryptDataKey('arn:aws:kms:x:1:key/1,2 3', 'd3JhcHBlZA==');
      expect(seen).toHaveLength(1);
      expect(seen[0]!.url).toMatch(
        /^\/dks\/datakey\/actions\/decrypt\?keyId=arn%3Aaws%3Akms%3Ax%3A1%3Akey%2F1%2C2\+3&correlationId=[0-9a-f-]{36}$/,
      );
      expect(seen[0]!.contentType).toBe('text/plain; charset=ISO-8859-1');
      expect(seen[0]!.body).toBe('d3JhcHBlZA==');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('works against the stub in plain-HTTP mode', async () => {
    const plain = await startDksStub({ tls: false, logger: stubLog.logger });
    try {
      expect(plain.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(plain.tls).toBeUndefined();
      const dks = client({ url: plain.url, tls: undefined });
      const key = await generated(dks);
      expect(
        (await dks.decryptDataKey(key.keyEncryptionKeyId, key.encryptedDataKey)).equals(key.plaintextDataKey),
      ).toBe(true);
    } finally {
      await plain.stop();
    }
  });

  it.each([
    [{ url: 'ftp://x' }, /url must be an absolute http: or https: URL/],
    [{ url: 'not a url' }, /url must be/],
    [{ retry: { attempts: 0 } }, /retry.attempts must be at least 1/],
    [{ retry: { attempts: 21 } }, /retry.attempts must be at most 20/],
    [{ retry: { multiplier: 0.5 } }, /retry.multiplier must be at least 1/],
    [
      { retry: { initialDelayMs: 100, maxDelayMs: 10 } },
      /retry.maxDelayMs \(10\) must be at least retry.initialDelayMs/,
    ],
    [{ timeoutMs: 0 }, /timeoutMs must be at least 1/],
    [{ cacheSize: -1 }, /cacheSize must be at least 0/],
    [{ cacheSize: 1.5 }, /cacheSize must be an integer/],
    [{ tls: { ca: 'x', cert: 'y' } }, /tls.cert and tls.key must be given together/],
  ])('validates options %j', (overrides, message) => {
    expect(
      () =>
        new DataKeyServiceClient({
          url: 'https://127.0.0.1:1',
          ...(overrides as object),
        } as DataKeyServiceClientOptions),
    ).toThrow(message);
  });
});

describe('key hygiene', () => {
  it('never writes a plaintext key to a log line or an error message', () => {
    expect(plaintextKeys.length).toBeGreaterThan(5);
    expect(stubLog.lines.length).toBeGreaterThan(20);
    expect(clientLog.lines.some((line) => line.includes('retrying'))).toBe(true);
    const text = [...stubLog.lines, ...clientLog.lines, ...errorMessages].join('\n');
    for (const key of plaintextKeys) for (const form of keyForms(key)) expect(text).not.toContain(form);
    expect(text).not.toContain('plaintextDataKey":"');
  });
});
