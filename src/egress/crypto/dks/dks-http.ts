import http from 'node:http';
import https from 'node:https';

/** Status and text of a DKS response. */
export interface DksHttpResponse {
  status: number;
  body: string;
}

/** A transport-level failure (connection, TLS, timeout, truncated response): worth a retry. */
export class DksTransportError extends Error {
  override readonly name = 'DksTransportError';
  /** `ETIMEDOUT` for our own deadline, otherwise the socket error's code when it has one. */
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** Response bodies are a few hundred bytes; anything much larger is not the DKS talking. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export interface DksHttpRequest {
  method: 'GET' | 'POST';
  url: URL;
  agent: http.Agent;
  headers?: Record<string, string>;
  body?: Buffer;
  timeoutMs: number;
  /** Caller's abort (not retried: rethrown as its reason). */
  signal?: AbortSignal | undefined;
}

/**
 * One HTTP(S) exchange with a hard deadline. The deadline and the caller's signal both destroy the
 * request (and its socket), so a hung DKS never pins a pooled connection.
 */
export function sendDksRequest(request: DksHttpRequest): Promise<DksHttpResponse> {
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new DksTransportError(`no response within ${request.timeoutMs} ms`, 'ETIMEDOUT')),
    request.timeoutMs,
  );
  const signals = request.signal ? [deadline.signal, request.signal] : [deadline.signal];
  const signal = AbortSignal.any(signals);
  const transport = request.url.protocol === 'https:' ? https : http;

  return new Promise<DksHttpResponse>((resolve, reject) => {
    const fail = (error: unknown): void => {
      if (request.signal?.aborted) reject(request.signal.reason);
      else if (deadline.signal.aborted) reject(deadline.signal.reason);
      else if (error instanceof DksTransportError) reject(error);
      else {
        const code = (error as NodeJS.ErrnoException).code;
        const message = error instanceof Error ? error.message : String(error);
        reject(new DksTransportError(code ? `${code}: ${message}` : message, code, { cause: error }));
      }
    };
    const req = transport.request(
      request.url,
      { method: request.method, agent: request.agent, headers: request.headers, signal },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            req.destroy(new DksTransportError(`response larger than ${MAX_RESPONSE_BYTES} bytes`, undefined));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', fail);
        res.on('end', () => {
          if (!res.complete) {
            fail(new DksTransportError('connection closed before the response was complete', 'ECONNRESET'));
            return;
          }
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    req.on('error', fail);
    req.end(request.body);
  }).finally(() => clearTimeout(timer));
}
