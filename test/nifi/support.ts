/** Shared set-up for the stub NiFi and SFT agent component tests: fauxqs S3, certificates, HTTP helpers. */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { createS3Client } from '../../src/aws/clients.ts';
import {
  type CertificateMaterial,
  ensureCertificates,
  loadCertificates,
} from '../../src/tls/certificates.ts';

export interface TestEnvironment {
  fauxqs: FauxqsServer;
  s3: S3Client;
  certs: CertificateMaterial;
  /** A fresh temporary directory, removed by `close()`. */
  tempDir(prefix: string): Promise<string>;
  close(): Promise<void>;
}

export async function startTestEnvironment(): Promise<TestEnvironment> {
  const dirs: string[] = [];
  const tempDir = async (prefix: string) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
  const [fauxqs, certs] = await Promise.all([
    startFauxqs({ port: 0, logger: false }),
    tempDir('nifi-certs-').then(async (dir) => loadCertificates(await ensureCertificates(dir))),
  ]);
  const s3 = createS3Client({
    region: 'eu-west-2',
    endpoint: fauxqs.address,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  return {
    fauxqs,
    s3,
    certs,
    tempDir,
    async close() {
      s3.destroy();
      await fauxqs.stop();
      await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    },
  };
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Every key in a bucket under `prefix` (the kit's listing, sorted). */
export { listKeys } from '../../src/testing/index.ts';

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
