/**
 * Shared set-up for the stub NiFi and SFT agent component tests: the test kit on its embedded edge
 * (whose S3 is the stub HDFS the stub NiFi writes to), certificates, HTTP helpers.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { startTestKit, type TestKit } from '../../src/testing/index.ts';
import {
  type CertificateMaterial,
  ensureCertificates,
  loadCertificates,
} from '../../src/tls/certificates.ts';
import { type StubNifi, type StubNifiOptions, startStubNifi } from '../../stubs/nifi/server.ts';

export interface NifiTestEnvironment {
  /** The kit on the embedded edge; `kit.clients.s3` is the client a stub NiFi stores with. */
  kit: TestKit;
  certs: CertificateMaterial;
  /** The client side of `certs`, as the SFT agent and the DKS client take it. */
  clientTls: { ca: string; cert: string; key: string };
  /** A stub NiFi on a free port storing into `options.bucket` through the kit, serving with `certs`; stopped by the caller. */
  startStub(options: Partial<StubNifiOptions> & Pick<StubNifiOptions, 'bucket'>): Promise<StubNifi>;
  /** A fresh temporary directory, removed by `close()`. */
  tempDir(prefix: string): Promise<string>;
  close(): Promise<void>;
}

/** A kit on the embedded edge with `buckets` created, and a CA with server and client certificates. */
export async function startNifiEnvironment(...buckets: string[]): Promise<NifiTestEnvironment> {
  const dirs: string[] = [];
  const tempDir = async (prefix: string) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
  const [kit, certs] = await Promise.all([
    startTestKit(),
    tempDir('nifi-certs-').then(async (dir) => loadCertificates(await ensureCertificates(dir))),
  ]);
  const close = async () => {
    await kit.stop();
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  };
  try {
    if (buckets.length > 0) await kit.createBuckets(...buckets);
  } catch (error) {
    await close();
    throw error;
  }
  return {
    kit,
    certs,
    clientTls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey },
    startStub: (options) => startStubNifi({ port: 0, s3: kit.clients.s3, tls: certs, ...options }),
    tempDir,
    close,
  };
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The object's bytes and metadata, or undefined when it does not exist. */
export async function getObject(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<{ body: Buffer; metadata: Record<string, string> } | undefined> {
  try {
    const result = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return { body: Buffer.from(await result.Body!.transformToByteArray()), metadata: result.Metadata ?? {} };
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

export interface PostOptions {
  headers?: Record<string, string | number>;
  body?: Buffer | Readable;
  /** Present a client certificate. @defaultValue true */
  clientCert?: boolean;
  /** Override the client certificate and key (e.g. one from another CA). */
  identity?: { cert: string; key: string };
  method?: string;
}

/** One HTTPS request to a stub with the test CA; resolves with status and parsed JSON body. */
export function request(
  baseUrl: string,
  certs: CertificateMaterial,
  urlPath: string,
  options: PostOptions = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  // The raw path, not `new URL(path, base)`: URL parsing would resolve `..` and `%2e%2e` away.
  const base = new URL(baseUrl);
  const clientCert = options.clientCert ?? true;
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        hostname: base.hostname,
        port: base.port,
        path: urlPath,
        method: options.method ?? 'POST',
        agent: false,
        ca: certs.ca,
        ...(clientCert ? (options.identity ?? { cert: certs.clientCert, key: certs.clientKey }) : {}),
        headers: options.headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> = {};
          try {
            json = JSON.parse(text);
          } catch {
            json = { text };
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    const body = options.body;
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else body.pipe(req);
  });
}
