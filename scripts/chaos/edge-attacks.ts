import http from 'node:http';
import net from 'node:net';

/*
 * Hostile clients of the embedded AWS edge, with raw sockets and `node:http` (never an SDK, which
 * would tidy the requests up): requests cut off at every point for every service the edge fronts,
 * and the cross-site and path tricks of issue 12. Used by test/edge, the bad-input corpus, the
 * chaos scenario `edge-hostile-clients` and the sandbox CLI test.
 */

/** A request as it goes on the wire: the path is sent exactly as given. */
export interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function endpointParts(endpoint: string): { host: string; port: number } {
  const url = new URL(endpoint);
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) };
}

/**
 * One complete exchange on a fresh connection, the path untouched (`node:http` does not normalise
 * `.`/`..` segments). `Host` defaults to the endpoint's; pass `host` in `headers` to forge it.
 */
export function rawHttp(endpoint: string, request: RawRequest, timeoutMs = 15_000): Promise<RawResponse> {
  const { host, port } = endpointParts(endpoint);
  const body = request.body === undefined ? undefined : Buffer.from(request.body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host,
        port,
        method: request.method,
        path: request.path,
        agent: false,
        headers: { ...(body ? { 'content-length': String(body.length) } : {}), ...request.headers },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer to ${request.method} ${request.path}`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Where a request is cut off:
 * - `mid-headers`: half of the request head, then the connection is reset;
 * - `after-headers`: the head declares a body that never comes;
 * - `mid-body`: half of the declared body;
 * - `before-answer`: the whole request, then a reset once the edge has read it (for a long poll:
 *   while it waits);
 * - `mid-stream`: the whole request, then a reset after the first bytes of the answer.
 */
export type CutPoint = 'mid-headers' | 'after-headers' | 'mid-body' | 'before-answer' | 'mid-stream';

function requestHead(request: RawRequest, bodyLength: number, hostHeader: string): string {
  const headers = { host: hostHeader, ...request.headers, 'content-length': String(bodyLength) };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  return `${request.method} ${request.path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

function write(socket: net.Socket, data: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) => socket.write(data, (error) => (error ? reject(error) : resolve())));
}

/** Options for {@link cutRequest}. */
export interface CutOptions {
  /** `reset` (RST, default) or `close` (FIN: the client hangs up politely). */
  hangUp?: 'reset' | 'close';
  /** The `Content-Length` to declare instead of the body's own length (a promise of more). */
  declaredLength?: number;
}

/**
 * Sends `request` on a raw socket and hangs up at `cut`. Resolves when the socket is closed; never
 * rejects for the connection's own errors (they are the point).
 */
export async function cutRequest(
  endpoint: string,
  request: RawRequest,
  cut: CutPoint,
  options: CutOptions = {},
): Promise<void> {
  const { host, port } = endpointParts(endpoint);
  const body = Buffer.from(request.body ?? '');
  const head = requestHead(request, options.declaredLength ?? body.length, new URL(endpoint).host);
  const socket = net.connect(port, host);
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    switch (cut) {
      case 'mid-headers':
        await write(socket, head.slice(0, Math.floor(head.length / 2)));
        break;
      case 'after-headers':
        await write(socket, head);
        break;
      case 'mid-body':
        await write(
          socket,
          Buffer.concat([Buffer.from(head), body.subarray(0, Math.floor(body.length / 2))]),
        );
        break;
      case 'before-answer':
        await write(socket, Buffer.concat([Buffer.from(head), body]));
        // A round trip on another connection: the edge has read this request by the time it answers.
        await rawHttp(endpoint, { method: 'GET', path: '/_edge/health' }).catch(() => undefined);
        break;
      case 'mid-stream':
        await write(socket, Buffer.concat([Buffer.from(head), body]));
        await new Promise<void>((resolve) => {
          socket.once('data', () => resolve());
          socket.once('close', () => resolve());
        });
        break;
    }
  } catch {
    // A refused or already reset connection is as cut as it gets.
  }
  if (options.hangUp === 'close') socket.destroy();
  else socket.resetAndDestroy();
  await closed;
}

/** What the attacks need to exist: a bucket with a large object, a queue, a DynamoDB table. */
export interface EdgeFixtures {
  region: string;
  bucket: string;
  /** An object of at least 1 MiB, so a GET is still streaming when it is cut. */
  largeObjectKey: string;
  queueUrl: string;
  table: string;
  /** Hash key attribute name of `table`. */
  hashKey: string;
}

/** One cut-off request against one service of the edge. */
export interface CutAttack {
  service: 'S3' | 'SQS' | 'DynamoDB' | 'SSM' | 'STS';
  operation: string;
  cut: CutPoint;
  run(endpoint: string, fixtures: EdgeFixtures): Promise<void>;
}

/** `authorization` header value of a SigV4 request (the edge reads only the credential scope). */
export function authorization(region: string, service: string): string {
  return `AWS4-HMAC-SHA256 Credential=test/20260101/${region}/${service}/aws4_request, SignedHeaders=host, Signature=0`;
}

/** A JSON-protocol request (DynamoDB, SQS, SSM) as the SDKs send it. */
export function jsonRequest(
  target: string,
  contentType: string,
  service: string,
  region: string,
  payload: object,
): RawRequest {
  return {
    method: 'POST',
    path: '/',
    headers: {
      'content-type': contentType,
      'x-amz-target': target,
      'x-amz-date': '20260101T000000Z',
      authorization: authorization(region, service),
    },
    body: JSON.stringify(payload),
  };
}

const REQUESTS: Record<
  string,
  {
    service: CutAttack['service'];
    cuts: CutPoint[];
    build(endpoint: string, f: EdgeFixtures, tag: string): Promise<RawRequest>;
  }
> = {
  PutItem: {
    service: 'DynamoDB',
    cuts: ['mid-headers', 'after-headers', 'mid-body', 'before-answer'],
    build: async (_endpoint, f, tag) =>
      jsonRequest('DynamoDB_20120810.PutItem', 'application/x-amz-json-1.0', 'dynamodb', f.region, {
        TableName: f.table,
        Item: { [f.hashKey]: { S: `cut-${tag}` }, padding: { S: 'x'.repeat(900) } },
      }),
  },
  SendMessage: {
    service: 'SQS',
    cuts: ['mid-headers', 'after-headers', 'mid-body', 'before-answer'],
    build: async (_endpoint, f, tag) =>
      jsonRequest('AmazonSQS.SendMessage', 'application/x-amz-json-1.0', 'sqs', f.region, {
        QueueUrl: f.queueUrl,
        MessageBody: `cut ${tag} ${'x'.repeat(900)}`,
      }),
  },
  'ReceiveMessage (long poll)': {
    service: 'SQS',
    cuts: ['mid-body', 'before-answer'],
    build: async (_endpoint, f) =>
      jsonRequest('AmazonSQS.ReceiveMessage', 'application/x-amz-json-1.0', 'sqs', f.region, {
        QueueUrl: f.queueUrl,
        WaitTimeSeconds: 20,
        VisibilityTimeout: 120,
        MaxNumberOfMessages: 10,
      }),
  },
  PutObject: {
    service: 'S3',
    cuts: ['mid-headers', 'after-headers', 'mid-body', 'before-answer'],
    build: async (_endpoint, f, tag) => ({
      method: 'PUT',
      path: `/${f.bucket}/cut/${tag}.bin`,
      body: Buffer.alloc(256 * 1024, 1),
    }),
  },
  UploadPart: {
    service: 'S3',
    cuts: ['after-headers', 'mid-body'],
    async build(endpoint, f, tag) {
      const created = await rawHttp(endpoint, {
        method: 'POST',
        path: `/${f.bucket}/cut/${tag}.mpu?uploads`,
      });
      const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created.body)?.[1];
      if (!uploadId) throw new Error(`CreateMultipartUpload answered ${created.status}: ${created.body}`);
      return {
        method: 'PUT',
        path: `/${f.bucket}/cut/${tag}.mpu?partNumber=1&uploadId=${encodeURIComponent(uploadId)}`,
        body: Buffer.alloc(5 * 1024 * 1024, 2),
      };
    },
  },
  GetObject: {
    service: 'S3',
    cuts: ['mid-stream'],
    build: async (_endpoint, f) => ({ method: 'GET', path: `/${f.bucket}/${f.largeObjectKey}` }),
  },
  DeleteObjects: {
    service: 'S3',
    cuts: ['after-headers', 'mid-body'],
    build: async (_endpoint, f, tag) => ({
      method: 'POST',
      path: `/${f.bucket}?delete`,
      headers: { 'content-type': 'application/xml' },
      body: `<Delete><Object><Key>cut/${tag}-never.bin</Key></Object></Delete>`,
    }),
  },
  PutParameter: {
    service: 'SSM',
    cuts: ['mid-headers', 'after-headers', 'mid-body', 'before-answer'],
    build: async (_endpoint, f, tag) =>
      jsonRequest('AmazonSSM.PutParameter', 'application/x-amz-json-1.1', 'ssm', f.region, {
        Name: `/cut/${tag}`,
        Value: 'x'.repeat(900),
        Type: 'String',
        Overwrite: true,
      }),
  },
  AssumeRole: {
    service: 'STS',
    cuts: ['mid-headers', 'after-headers', 'mid-body', 'before-answer'],
    build: async () => ({
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: `Action=AssumeRole&Version=2011-06-15&RoleArn=${encodeURIComponent('arn:aws:iam::123456789012:role/cut')}&RoleSessionName=cut&Padding=${'x'.repeat(900)}`,
    }),
  },
};

let tags = 0;

/** Every service × operation × cut point the edge must survive. */
export const CUT_ATTACKS: readonly CutAttack[] = Object.entries(REQUESTS).flatMap(([operation, spec]) =>
  spec.cuts.map(
    (cut): CutAttack => ({
      service: spec.service,
      operation,
      cut,
      async run(endpoint, fixtures) {
        const request = await spec.build(endpoint, fixtures, `${process.pid}-${++tags}`);
        await cutRequest(endpoint, request, cut);
      },
    }),
  ),
);

/** The edge answers its health check (the process is alive and serving). */
export async function edgeAnswers(endpoint: string): Promise<boolean> {
  const answer = await rawHttp(endpoint, { method: 'GET', path: '/_edge/health' }, 5_000).catch(
    () => undefined,
  );
  return answer?.status === 200;
}
