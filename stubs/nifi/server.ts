import { EventEmitter } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { S3Client } from '@aws-sdk/client-s3';
import type { AwsTarget } from '../../src/aws/index.ts';
import { type Logger, silentLogger } from '../../src/logging/index.ts';
import type { CertificateMaterial } from '../../src/tls/index.ts';
import { createNifiApp } from './app.ts';
import { FaultInjector, type StubNifiFaults } from './faults.ts';
import { type ReceivedFile, ReceivedLog } from './received-log.ts';
import { Receiver } from './receiver.ts';
import { BucketStore } from './storage.ts';

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

/** The server's lifecycle: it builds the parts, listens, and stops them in order. */
class Stub extends EventEmitter<StubNifiEvents> implements StubNifi {
  url = '';
  port = 0;
  readonly bucket: string;
  readonly faults = new FaultInjector();
  private readonly store: BucketStore;
  private readonly log = new ReceivedLog((entry) => this.emit('received', entry));
  private readonly logger: Logger;
  readonly server: http.Server | https.Server;

  constructor(private readonly options: StubNifiOptions) {
    super();
    if (!options.bucket) throw new Error('bucket is required (e.g. stub-hdfs-local)');
    if (options.tls === undefined)
      throw new Error('tls is required: certificate material, or false for plain HTTP');
    const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
    if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1)
      throw new Error(`maxBodyBytes must be a positive integer, got ${maxBodyBytes}`);
    this.bucket = options.bucket;
    this.logger = options.logger ?? silentLogger();
    this.store = new BucketStore(options.bucket, options.s3);
    const receiver = new Receiver({
      store: this.store,
      faults: this.faults,
      log: this.log,
      maxBodyBytes,
      logger: this.logger,
    });
    const app = createNifiApp(receiver, this.bucket, this.logger);

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
    return this.log.entries();
  }

  async stop(): Promise<void> {
    await this.store.abortUploads();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    this.store.release();
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
