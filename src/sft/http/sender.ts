import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { ActionError, isRetryableStatus } from '../actions/action-error.ts';
import type { HttpClientConfig } from '../config/types.ts';

/** PEM material for the HTTPS client (contents, not paths). */
export interface ClientTlsMaterial {
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
}

/** Connection pools shared by every route of one agent. */
export interface HttpPools {
  http: http.Agent;
  https: https.Agent;
  destroy(): void;
}

/**
 * Keep-alive pools: one TLS handshake serves many files. `maxSockets` bounds connections per
 * host, the same bound as the routes' combined concurrency, so a request never waits for a socket
 * unless routes compete for one host.
 */
export function createHttpPools(
  config: HttpClientConfig,
  tls: ClientTlsMaterial,
  maxSockets: number,
): HttpPools {
  const common = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'fifo' as const };
  const httpsAgent = new https.Agent({
    ...common,
    ...(tls.ca ? { ca: tls.ca } : {}),
    ...(tls.cert ? { cert: tls.cert } : {}),
    ...(tls.key ? { key: tls.key } : {}),
    ...(config.tls?.minVersion ? { minVersion: config.tls.minVersion } : {}),
    ...(config.tls?.maxVersion ? { maxVersion: config.tls.maxVersion } : {}),
    // `verifyHostname: false` (the original's production setting) keeps chain verification.
    ...(config.tls && !config.tls.verifyHostname ? { checkServerIdentity: () => undefined } : {}),
  });
  const httpAgent = new http.Agent(common);
  return {
    http: httpAgent,
    https: httpsAgent,
    destroy() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

export interface PostFileRequest {
  url: URL;
  /** Where the body comes from, for error messages. */
  filePath: string;
  /**
   * Opens the body for one attempt: the file's first `size` bytes. Called again when an attempt is
   * repeated; the agent reads through the handle it checked, never by path.
   */
  openBody: () => Readable;
  /** Sent as the `filename` header. */
  filename: string;
  size: number;
  pools: HttpPools;
  timeouts: Pick<HttpClientConfig, 'timeoutMs' | 'connectionTimeoutMs' | 'connectionRequestTimeoutMs'>;
  /** Extra headers (the API key). */
  headers?: Record<string, string> | undefined;
  signal?: AbortSignal | undefined;
}

export interface PostFileResult {
  status: number;
  /** First bytes of the response body, for logs. */
  body: string;
}

const MAX_RESPONSE_BODY = 4096;

function describeNetworkError(error: NodeJS.ErrnoException): string {
  return error.code ? `${error.code}: ${error.message}` : error.message;
}

/** Errors from a keep-alive socket that the server closed while it sat idle in the pool. */
const staleSocketErrors = new WeakSet<ActionError>();

/** One attempt. Resolves with the 2xx response; throws {@link ActionError} otherwise. */
function attempt(request: PostFileRequest): Promise<PostFileResult> {
  const { url, timeouts } = request;
  const secure = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    let settled = false;
    let responded = false;
    const timers: NodeJS.Timeout[] = [];
    // Exactly the bytes announced in content-length, even if the file grew since the read-lock
    // (the agent then sees the change and sends the file again).
    const body = request.size > 0 ? request.openBody() : Readable.from([]);
    const req = (secure ? https : http).request(url, {
      method: 'POST',
      agent: secure ? request.pools.https : request.pools.http,
      headers: {
        filename: request.filename,
        'content-type': 'application/octet-stream',
        'content-length': String(request.size),
        ...request.headers,
      },
    });
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    const fail = (error: ActionError) =>
      settle(() => {
        body.destroy();
        req.destroy();
        reject(error);
      });
    const timeout = (what: string, ms: number) =>
      setTimeout(
        () => fail(new ActionError(`${what} after ${ms} ms`, { retryable: true, code: 'ETIMEDOUT' })),
        ms,
      );
    const onAbort = () =>
      fail(
        new ActionError('request aborted (agent stopping)', {
          retryable: false,
          cause: request.signal?.reason,
        }),
      );

    if (request.signal?.aborted) return onAbort();
    request.signal?.addEventListener('abort', onAbort, { once: true });
    timers.push(timeout('request timed out', timeouts.timeoutMs));
    const waitingForSocket = timeout('no pooled connection free', timeouts.connectionRequestTimeoutMs);
    timers.push(waitingForSocket);

    req.on('socket', (socket: Socket) => {
      clearTimeout(waitingForSocket);
      // A pooled socket is already connected; a new one gets the connection timeout.
      if (socket.connecting || (secure && !(socket as TLSSocket).encrypted)) {
        const connecting = timeout('connection timed out', timeouts.connectionTimeoutMs);
        timers.push(connecting);
        socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(connecting));
      }
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      // After a response has started, a write error (the server answered early and closed) is
      // expected; the response decides the outcome.
      if (responded) return;
      const failure = new ActionError(describeNetworkError(error), {
        retryable: true,
        code: error.code,
        cause: error,
      });
      if (req.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE'))
        staleSocketErrors.add(failure);
      fail(failure);
    });
    req.on('response', (res) => {
      responded = true;
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let length = 0;
      res.on('data', (chunk: Buffer) => {
        if (length < MAX_RESPONSE_BODY) chunks.push(chunk);
        length += chunk.length;
      });
      const finish = () => {
        const text = Buffer.concat(chunks).toString('utf8').slice(0, MAX_RESPONSE_BODY);
        // The server may answer before the body is all sent (413, an early 503): the answer counts,
        // and the half-used connection must not go back to the pool.
        if (!req.writableFinished) {
          body.destroy();
          req.destroy();
        }
        if (status >= 200 && status < 300) {
          settle(() => resolve({ status, body: text }));
          return;
        }
        fail(
          new ActionError(
            `HTTP ${status} from ${url.origin}${url.pathname}${text ? `: ${text.slice(0, 300)}` : ''}`,
            {
              retryable: isRetryableStatus(status),
              status,
            },
          ),
        );
      };
      res.on('end', finish);
      // A connection closed mid-response still carried a status; without 'end' that is the outcome.
      res.on('close', () => {
        if (!res.complete && status >= 200 && status < 300) {
          fail(new ActionError(`response from ${url.origin} was cut off`, { retryable: true, status }));
        } else finish();
      });
    });
    body.on('error', (error: NodeJS.ErrnoException) =>
      // The source vanished or became unreadable while being sent: local, but may be transient.
      fail(
        new ActionError(`reading ${request.filePath}: ${error.message}`, {
          retryable: true,
          code: error.code,
          cause: error,
        }),
      ),
    );
    body.pipe(req);
  });
}

/**
 * POSTs a file, streamed, with `filename`, `content-type: application/octet-stream` and
 * `content-length` headers. A keep-alive socket the server closed while idle fails with
 * ECONNRESET on reuse; that attempt is repeated at once on a fresh socket rather than counted as
 * a failed delivery (Node's documented pattern for `reusedSocket`).
 */
export async function postFile(request: PostFileRequest): Promise<PostFileResult> {
  try {
    return await attempt(request);
  } catch (error) {
    const stale = error instanceof ActionError && staleSocketErrors.has(error);
    if (!stale || request.signal?.aborted) throw error;
    return attempt(request);
  }
}
