import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { Transform } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import type { TLSSocket } from 'node:tls';
import { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import express, { type Request, type Response } from 'express';
import type { AwsTarget } from '../../src/aws/index.ts';
import { createS3Client } from '../../src/aws/index.ts';
import { type Logger, silentLogger } from '../../src/logging/index.ts';
import type { CertificateMaterial } from '../../src/tls/index.ts';
import { metadataFromHeaders } from './metadata.ts';
import { checkFilename, checkTargetPath, objectKey, type Refusal } from './validation.ts';

/** Options for {@link startStubNifi}. */
export interface StubNifiOptions {
  /** @defaultValue 8091 (the original's port); use 0 in tests. */
  port?: number | undefined;
  /** @defaultValue `127.0.0.1` */
  host?: string | undefined;
  /** Bucket the files go to, e.g. `stub-hdfs-local`. It must exist. */
  bucket: string;
  /** An S3 client, or a target to build one from (then closed by `stop()`). */
  s3: S3Client | AwsTarget;
  /**
   * Server certificate, key and the CA that client certificates must chain to. `false` serves
   * plain HTTP (for debugging only). Required: there is no self-signed fallback.
   */
  tls: CertificateMaterial | false;
  /** Refuse clients without a valid certificate in the TLS handshake. @defaultValue true */
  requireClientCertificate?: boolean | undefined;
  /** Larger bodies get 413 and nothing is stored. @defaultValue 5 GiB */
  maxBodyBytes?: number | undefined;
  logger?: Logger | undefined;
}

/** One request, as `received()` reports it (newest last). */
export interface ReceivedFile {
  at: Date;
  path: string;
  filename?: string | undefined;
  /** Object key, when the request got as far as choosing one. */
  key?: string | undefined;
  status: number;
  /** Bytes read from the request body. */
  bytes: number;
  /** SHA-256 (hex) of the stored body. */
  sha256?: string | undefined;
  /** Why it was refused or failed. */
  reason?: string | undefined;
  /** Client certificate subject CN, when there was one. */
  client?: string | undefined;
}

/** Knobs for reliability tests. */
export interface StubNifiFaults {
  /** The next `count` POSTs get `status` (default 503) and store nothing. */
  failNext(count: number, status?: number): void;
  /** Every POST waits `ms` before it is handled. */
  setLatency(ms: number): void;
  /** No injected failures, no latency. */
  reset(): void;
}

export interface StubNifiEvents {
  received: [ReceivedFile];
}

/** A running stub NiFi. */
export interface StubNifi {
  /** `https://127.0.0.1:<port>` (or `http://` without TLS). */
  readonly url: string;
  readonly port: number;
  readonly bucket: string;
  readonly faults: StubNifiFaults;
  /** The most recent requests (up to 200), oldest first. */
  received(): ReceivedFile[];
  on<E extends keyof StubNifiEvents>(event: E, listener: (...args: StubNifiEvents[E]) => void): this;
  off<E extends keyof StubNifiEvents>(event: E, listener: (...args: StubNifiEvents[E]) => void): this;
  /** Stops listening, aborts uploads in progress and closes every connection. */
  stop(): Promise<void>;
}

const DEFAULT_PORT = 8091;
const DEFAULT_MAX_BODY = 5 * 1024 ** 3;
/** fauxqs refuses request bodies over 11 MiB, so parts stay at 8 MiB. */
const PART_SIZE = 8 * 1024 * 1024;
const HISTORY = 200;

class PayloadTooLarge extends Error {
  override readonly name = 'PayloadTooLarge';
}

/** Bytes of an unwanted body read and thrown away before the connection is cut instead. */
const DISCARD_CAP = 64 * 1024 * 1024;

function discardBody(req: Request): void {
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DISCARD_CAP) req.socket.destroy();
  });
  req.resume();
}

function isS3Client(value: S3Client | AwsTarget): value is S3Client {
  return value instanceof S3Client;
}

function clientSubject(req: Request): string | undefined {
  const socket = req.socket as TLSSocket;
  if (typeof socket.getPeerCertificate !== 'function') return undefined;
  const cn = socket.getPeerCertificate()?.subject?.CN;
  return Array.isArray(cn) ? cn.join(',') : cn || undefined;
}

class Stub extends EventEmitter<StubNifiEvents> implements StubNifi {
  url = '';
  port = 0;
  readonly bucket: string;
  private readonly s3: S3Client;
  private readonly ownsClient: boolean;
  private readonly maxBodyBytes: number;
  private readonly logger: Logger;
  private readonly history: ReceivedFile[] = [];
  private readonly uploads = new Set<Upload>();
  private failures = { remaining: 0, status: 503 };
  private latencyMs = 0;
  readonly server: http.Server | https.Server;

  readonly faults: StubNifiFaults = {
    failNext: (count, status = 503) => {
      if (!Number.isInteger(count) || count < 0)
        throw new Error(`failNext count must be a non-negative integer, got ${count}`);
      if (!Number.isInteger(status) || status < 100 || status > 599)
        throw new Error(`failNext status must be an HTTP status, got ${status}`);
      this.failures = { remaining: count, status };
    },
    setLatency: (ms) => {
      if (!Number.isFinite(ms) || ms < 0)
        throw new Error(`latency must be a non-negative number of ms, got ${ms}`);
      this.latencyMs = ms;
    },
    reset: () => {
      this.failures = { remaining: 0, status: 503 };
      this.latencyMs = 0;
    },
  };

  constructor(private readonly options: StubNifiOptions) {
    super();
    if (!options.bucket) throw new Error('bucket is required (e.g. stub-hdfs-local)');
    if (options.tls === undefined)
      throw new Error('tls is required: certificate material, or false for plain HTTP');
    const max = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
    if (!Number.isSafeInteger(max) || max < 1)
      throw new Error(`maxBodyBytes must be a positive integer, got ${max}`);
    this.bucket = options.bucket;
    this.maxBodyBytes = max;
    this.logger = options.logger ?? silentLogger();
    this.ownsClient = !isS3Client(options.s3);
    this.s3 = isS3Client(options.s3) ? options.s3 : createS3Client(options.s3);

    const app = express();
    app.disable('x-powered-by');
    app.get('/health', (_req, res) => {
      res.json({ status: 'ok', bucket: this.bucket });
    });
    app.use((req, res, next) => {
      if (req.method !== 'POST') return next();
      this.handlePost(req, res).catch((error: unknown) => {
        this.logger.error({ err: error, path: req.path }, 'unexpected error');
        if (!res.headersSent) res.status(500).json({ error: 'internal error' });
        else res.destroy();
      });
    });
    app.use((req, res) => {
      res.status(405).json({ error: `${req.method} is not supported: POST a file with a filename header` });
    });

    const tls = options.tls;
    this.server = tls
      ? https.createServer(
          {
            key: tls.serverKey,
            cert: tls.serverCert,
            ca: tls.ca,
            requestCert: true,
            rejectUnauthorized: options.requireClientCertificate ?? true,
          },
          app,
        )
      : http.createServer(app);
    this.server.on('tlsClientError', (error: Error, socket: Socket) => {
      this.logger.warn({ err: error.message, remote: socket.remoteAddress }, 'TLS handshake refused');
    });
  }

  async listen(): Promise<void> {
    const host = this.options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? DEFAULT_PORT, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    this.url = `${this.options.tls ? 'https' : 'http'}://${shown}:${this.port}`;
    this.logger.info({ url: this.url, bucket: this.bucket }, 'stub NiFi listening');
  }

  received(): ReceivedFile[] {
    return [...this.history];
  }

  private record(entry: ReceivedFile): void {
    this.history.push(entry);
    if (this.history.length > HISTORY) this.history.shift();
    this.emit('received', entry);
  }

  /**
   * Answers a request we will not store. The unread rest of the body is read and discarded (up
   * to a cap): closing a socket with unread input makes the kernel send a reset, which can destroy
   * the response before the client reads it. Past the cap the connection is cut.
   */
  private refuse(
    req: Request,
    res: Response,
    refusal: Refusal,
    entry: Omit<ReceivedFile, 'status' | 'reason'>,
  ): void {
    this.record({ ...entry, status: refusal.status, reason: refusal.reason });
    this.logger.warn(
      { path: entry.path, filename: entry.filename, status: refusal.status, reason: refusal.reason },
      'refused',
    );
    if (!req.complete) discardBody(req);
    if (res.headersSent || res.destroyed) return;
    res.status(refusal.status).json({ error: refusal.reason });
  }

  private async handlePost(req: Request, res: Response): Promise<void> {
    const entry = { at: new Date(), path: req.originalUrl, bytes: 0, client: clientSubject(req) };
    if (this.latencyMs > 0) await delay(this.latencyMs);
    if (this.failures.remaining > 0) {
      this.failures.remaining--;
      const header = req.headers.filename;
      const fault = { status: this.failures.status, reason: 'injected fault (faults.failNext)' };
      return this.refuse(req, res, fault, {
        ...entry,
        filename: typeof header === 'string' ? header : undefined,
      });
    }
    const name = checkFilename(req.headers.filename);
    if ('status' in name) return this.refuse(req, res, name, entry);
    const target = checkTargetPath(req.originalUrl);
    if ('status' in target) return this.refuse(req, res, target, { ...entry, filename: name.filename });
    const keyed = objectKey(target.segments, name.filename);
    if ('status' in keyed) return this.refuse(req, res, keyed, { ...entry, filename: name.filename });
    const where = { ...entry, filename: name.filename, key: keyed.key };
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    if (declared > this.maxBodyBytes) {
      const reason = `body of ${declared} bytes exceeds the limit of ${this.maxBodyBytes} bytes`;
      return this.refuse(req, res, { status: 413, reason }, where);
    }
    await this.store(req, res, where);
  }

  /** Streams the body to S3; an over-size or abandoned body fails the upload, which aborts it. */
  private async store(
    req: Request,
    res: Response,
    entry: Omit<ReceivedFile, 'status' | 'reason'> & { key: string },
  ): Promise<void> {
    const hash = createHash('sha256');
    let bytes = 0;
    let refused: Error | undefined;
    const limit = this.maxBodyBytes;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        if (bytes > limit) return callback(new PayloadTooLarge(`body exceeds the limit of ${limit} bytes`));
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    counter.on('error', (error) => {
      refused ??= error;
    });
    // Not stream.pipeline: it would destroy the request, and with it the socket the answer needs.
    req.on('close', () => {
      if (!req.complete) counter.destroy(new Error('client closed the connection mid-body'));
    });
    req.pipe(counter);
    const upload = new Upload({
      client: this.s3,
      params: {
        Bucket: this.bucket,
        Key: entry.key,
        Body: counter,
        ContentType: 'application/octet-stream',
        Metadata: metadataFromHeaders(req.headers),
      },
      partSize: PART_SIZE,
      queueSize: 2,
      leavePartsOnError: false,
    });
    this.uploads.add(upload);
    try {
      await upload.done();
    } catch (error) {
      req.unpipe(counter);
      counter.destroy();
      const cause = refused ?? (error as Error);
      if (cause instanceof PayloadTooLarge) {
        return this.refuse(req, res, { status: 413, reason: cause.message }, { ...entry, bytes });
      }
      if (!req.complete && req.destroyed) {
        this.record({ ...entry, bytes, status: 499, reason: cause.message });
        this.logger.warn({ key: entry.key, err: cause.message }, 'client went away mid-body; nothing stored');
        return;
      }
      this.logger.error({ bucket: this.bucket, key: entry.key, err: cause.message }, 'storing failed');
      return this.refuse(
        req,
        res,
        { status: 502, reason: `storing the file failed: ${cause.message}` },
        { ...entry, bytes },
      );
    } finally {
      this.uploads.delete(upload);
    }
    const sha256 = hash.digest('hex');
    this.record({ ...entry, bytes, sha256, status: 200 });
    this.logger.info({ bucket: this.bucket, key: entry.key, bytes, client: entry.client }, 'stored');
    res.status(200).json({ bucket: this.bucket, key: entry.key, bytes, sha256 });
  }

  async stop(): Promise<void> {
    await Promise.all([...this.uploads].map((upload) => upload.abort()));
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    if (this.ownsClient) this.s3.destroy();
    this.logger.info('stub NiFi stopped');
  }
}

/**
 * Starts the stub NiFi: `POST <path>` with a `filename` header stores the body at
 * `s3://<bucket>/<path without leading slash>/<filename>`, streamed (multipart, 8 MiB parts),
 * with the request headers as user metadata. `GET /health` answers `{status: 'ok'}`.
 */
export async function startStubNifi(options: StubNifiOptions): Promise<StubNifi> {
  const stub = new Stub(options);
  try {
    await stub.listen();
  } catch (error) {
    // A port in use must not leave the S3 client we built behind.
    await stub.stop().catch(() => undefined);
    throw error;
  }
  return stub;
}
