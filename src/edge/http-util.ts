import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request body over the edge's limit for that kind of request. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`);
  }
}

/** Reads a (small) request body into memory, refusing anything over `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
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
    req.on('error', reject);
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

const SERVER_ERROR = Symbol('edge.serverError');

/** Remembers why a response is a 5xx, so the one log line {@link logServerErrors} writes names it. */
export function noteServerError(res: ServerResponse, error: unknown): void {
  (res as ServerResponse & { [SERVER_ERROR]?: unknown })[SERVER_ERROR] = error;
}

/**
 * Logs every 5xx the edge answers, whichever component produced it, with the request line
 * (method, URL, host) and the cause when one was noted: a server error is never silent.
 */
export function logServerErrors(
  req: IncomingMessage,
  res: ServerResponse,
  logger: { error(fields: object, message: string): void },
): void {
  // The request line as the client sent it, before any rewriting (virtual-host addressing).
  const { method, url } = req;
  const host = req.headers.host;
  const causeOf = () => (res as ServerResponse & { [SERVER_ERROR]?: unknown })[SERVER_ERROR];
  res.once('finish', () => {
    if (res.statusCode < 500) return;
    const cause = causeOf();
    logger.error(
      { method, url, host, status: res.statusCode, ...(cause === undefined ? {} : { err: cause }) },
      `edge answered ${res.statusCode} to ${method} ${url}`,
    );
  });
  // A failure after the response had started cannot become a 5xx: the connection is cut instead.
  res.once('close', () => {
    const cause = causeOf();
    if (res.writableFinished || cause === undefined) return;
    logger.error(
      { method, url, host, status: res.statusCode, err: cause },
      `edge cut the response to ${method} ${url} after a failure`,
    );
  });
}
