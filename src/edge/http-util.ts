import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request body over the edge's limit for that kind of request. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`);
  }
}

/** The client hung up before its request was complete: there is nobody left to answer. */
export class ClientGoneError extends Error {
  override readonly name = 'ClientGoneError';
  constructor(
    readonly method: string | undefined,
    readonly url: string | undefined,
    options?: ErrorOptions,
  ) {
    super(`the client of ${method} ${url} hung up before its request was complete`, options);
  }
}

/**
 * Reads a (small) request body into memory, refusing anything over `limit` bytes. A connection
 * that closes before the body is complete rejects with {@link ClientGoneError}; the promise never
 * hangs and nothing is thrown outside it.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const gone = (cause?: Error) => reject(new ClientGoneError(req.method, req.url, { cause }));
    req.on('error', gone);
    req.once('close', () => {
      if (!req.complete) gone();
    });
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

export function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string | Buffer,
  extraHeaders: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const payload = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': String(payload.length),
    ...extraHeaders,
  });
  res.end(payload);
}

/** Copies a light-my-request response (from `fastify.inject`) onto a real response. */
export function relay(
  res: ServerResponse,
  injected: { statusCode: number; headers: Record<string, unknown>; rawPayload: Buffer },
): void {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(injected.headers)) {
    if (value === undefined || name === 'transfer-encoding' || name === 'connection') continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  headers['content-length'] = String(injected.rawPayload.length);
  res.writeHead(injected.statusCode, headers);
  res.end(injected.rawPayload);
}

/** Declared body size of an S3 upload: the decoded length for aws-chunked bodies. */
export function declaredBodySize(req: IncomingMessage): number | undefined {
  const decoded = req.headers['x-amz-decoded-content-length'];
  const raw = decoded ?? req.headers['content-length'];
  const value = Number(Array.isArray(raw) ? raw[0] : raw);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * The headers of a request the edge has read whole, for an in-process call carrying that body
 * (`fastify.inject`): the framing headers describe the original stream, not the copy.
 */
export function forwardedHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string' && name !== 'content-length' && name !== 'transfer-encoding') {
      headers[name] = value;
    }
  }
  return headers;
}

const SERVER_ERROR = Symbol('edge.serverError');

interface NotedServerError {
  cause: unknown;
  /** The failure has its log line already (the edge's `fail()`); the observer writes none. */
  logged: boolean;
}

type NotedResponse = ServerResponse & { [SERVER_ERROR]?: NotedServerError };

/**
 * Remembers why a response is a 5xx (or was cut), so the one log line {@link logServerErrors}
 * writes names it; `logged` when whoever noted it has written that line already.
 */
export function noteServerError(
  res: ServerResponse,
  error: unknown,
  options: { logged?: boolean } = {},
): void {
  (res as NotedResponse)[SERVER_ERROR] = { cause: error, logged: options.logged ?? false };
}

/**
 * Logs every 5xx the edge answers, whichever component produced it (an emulator, the S3 storage,
 * an error handler), with the request line (method, URL, host) and the cause when one was noted,
 * and every response cut after a noted failure: a server error is never silent, and is logged
 * once — a failure the edge's `fail()` has logged is not logged again.
 */
export function logServerErrors(
  req: IncomingMessage,
  res: ServerResponse,
  logger: { error(fields: object, message: string): void },
): void {
  // The request line as the client sent it, before any rewriting (virtual-host addressing).
  const { method, url } = req;
  const host = req.headers.host;
  const noted = () => (res as NotedResponse)[SERVER_ERROR];
  res.once('finish', () => {
    const failure = noted();
    if (res.statusCode < 500 || failure?.logged) return;
    logger.error(
      { method, url, host, status: res.statusCode, ...(failure === undefined ? {} : { err: failure.cause }) },
      `edge answered ${res.statusCode} to ${method} ${url}`,
    );
  });
  // A failure after the response had started cannot become a 5xx: the connection is cut instead.
  res.once('close', () => {
    const failure = noted();
    if (res.writableFinished || failure === undefined || failure.logged) return;
    logger.error(
      { method, url, host, status: res.statusCode, err: failure.cause },
      `edge cut the response to ${method} ${url} after a failure`,
    );
  });
}
