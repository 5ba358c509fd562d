import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { type Logger, silentLogger } from '../../src/logging/index.ts';
import { type CertificateMaterial, generateCertificates } from '../../src/tls/index.ts';
import { createDksApp, type DksRequestRecord } from './app.ts';
import { type DksFaults, FaultState } from './faults.ts';
import { MasterKeys } from './master-keys.ts';

/** The default key id: ARN-shaped so that `:` and `/` exercise the form-URL-encoding path. */
export const DEFAULT_DKS_KEY_ID = 'arn:aws:kms:eu-west-2:000000000000:key/sandbox-master-key-1';

/** Options of {@link startDksStub}. */
export interface DksStubOptions {
  /** Port to listen on; 0 picks a free one. @defaultValue 0 */
  port?: number;
  /** Interface to bind. @defaultValue 127.0.0.1 */
  host?: string;
  /**
   * Certificates for HTTPS with required client certificates (signed by `ca`); `false` serves
   * plain HTTP. @defaultValue a throwaway set generated in memory (see `DksStub.tls`)
   */
  tls?: CertificateMaterial | false;
  /** @defaultValue silentLogger() */
  logger?: Logger;
  /** Master key ids; the first wraps new data keys, all can unwrap. @defaultValue [DEFAULT_DKS_KEY_ID] */
  keyIds?: string[];
  /** Serve the JSON fault knobs at `GET/POST /faults`. @defaultValue true */
  faultEndpoint?: boolean;
}

/** A running stub DKS. */
export interface DksStub {
  /** Base URL, e.g. `https://127.0.0.1:8443`. */
  url: string;
  port: number;
  faults: DksFaults;
  /** The certificate set in use (generated when none was given); `undefined` for plain HTTP. */
  tls: CertificateMaterial | undefined;
  /** Master key ids known to the stub. */
  keyIds: string[];
  /** Recent requests (bounded), for assertions: method, path, status, key id, correlation id, key hash. */
  requests: readonly DksRequestRecord[];
  /** Stops listening and drops every connection. Idempotent. */
  stop(): Promise<void>;
}

function urlHost(host: string): string {
  // A wildcard bind is reachable on loopback; IPv6 literals need brackets in URLs.
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** Starts the stub Data Key Service (docs/reference/contracts.md#dks-api). */
export async function startDksStub(options: DksStubOptions = {}): Promise<DksStub> {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(`port must be an integer 0–65535, got ${port}`);
  }
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? silentLogger();
  const keys = new MasterKeys(options.keyIds ?? [DEFAULT_DKS_KEY_ID]);
  const faults = new FaultState();
  const lifetime = new AbortController();
  const requests: DksRequestRecord[] = [];
  const app = createDksApp({
    keys,
    faults,
    logger,
    requests,
    lifetime: lifetime.signal,
    faultEndpoint: options.faultEndpoint ?? true,
  });

  const tls = options.tls === false ? undefined : (options.tls ?? (await generateCertificates()));
  const server = tls
    ? https.createServer(
        {
          ca: tls.ca,
          cert: tls.serverCert,
          key: tls.serverKey,
          // Client-certificate authentication, as the real DKS demands.
          requestCert: true,
          rejectUnauthorized: true,
        },
        app,
      )
    : http.createServer(app);

  // A refused handshake never reaches express; say why, so "client has no certificate" is visible.
  server.on('tlsClientError', (error: NodeJS.ErrnoException) => {
    logger.warn({ code: error.code, reason: error.message }, 'dks stub refused a TLS client');
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  const url = `${tls ? 'https' : 'http'}://${urlHost(host)}:${actualPort}`;
  logger.info({ url, mutualTls: Boolean(tls), keyIds: keys.keyIds }, 'dks stub listening');

  let stopping: Promise<void> | undefined;
  return {
    url,
    port: actualPort,
    faults,
    tls,
    keyIds: keys.keyIds,
    requests,
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        lifetime.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => logger.info({ url }, 'dks stub stopped'));
      return stopping;
    },
  };
}
