import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import { buildApp } from 'fauxqs';
import { type AwsTarget, DEFAULT_REGION, EMULATOR_CREDENTIALS } from '../aws/target.ts';
import { type Logger, silentLogger } from '../logging/logger.ts';
import { AwsServiceError, jsonErrorBody, queryErrorBody, s3ErrorBody } from './aws-error.ts';
import { installEmulatorHooks } from './emulator-hooks.ts';
import { BodyTooLargeError, logServerErrors, noteServerError, readBody, relay, send } from './http-util.ts';
import { BucketNotifier, type NotificationRecord, type QueuePublisher } from './notifications/notifier.ts';
import { S3Gateway, type S3Upstream, type S3WriteRecord } from './s3-gateway.ts';
import { SqsGateway } from './sqs-gateway.ts';
import { ParameterStore } from './ssm.ts';
import { type AssumedRole, RoleIssuer } from './sts.ts';

/** Options for {@link startEdge}. */
export interface EdgeOptions {
  /** Port of the single AWS endpoint; 0 picks a free one. @defaultValue 4566 */
  port?: number;
  /** Interface to bind. @defaultValue `127.0.0.1` */
  host?: string;
  /** Region the emulators report (queue ARNs, event records). @defaultValue `eu-west-2` */
  region?: string;
  /** Keep DynamoDB tables on disk in this directory (LevelDB) instead of in memory. */
  dynamoDbPath?: string;
  logger?: Logger;
}

/** A running embedded AWS endpoint. */
export interface Edge {
  /** `http://<host>:<port>` — give it to every SDK client as `endpoint`. */
  readonly endpoint: string;
  readonly port: number;
  readonly region: string;
  /** Ready-made target for `src/aws/clients.ts`. */
  readonly target: AwsTarget;
  /** Roles handed out by STS AssumeRole, oldest first. */
  assumedRoles(): readonly AssumedRole[];
  /** Observe S3 writes (method, bucket, key, status, access key used). */
  onS3Write(listener: (record: S3WriteRecord) => void): () => void;
  /** Observe S3 event notifications as they are delivered to SQS. */
  onNotification(listener: (record: NotificationRecord) => void): () => void;
  /** Stops accepting requests, settles pending notifications and frees every socket. */
  stop(): Promise<void>;
}

/** The edge's port is taken; the CLI turns this into a message naming the variable that moves it. */
export class EdgePortInUseError extends Error {
  override readonly name = 'EdgePortInUseError';
  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super(`port ${port} on ${host} is already in use`);
  }
}

const SQS_JSON = 'application/x-amz-json-1.0';
const MAX_JSON_BODY_BYTES = 1024 * 1024;

type FauxqsApp = ReturnType<typeof buildApp>;

function header(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

/** SQS access for the notifier, in process: no sockets, no credentials. */
function queuePublisher(app: FauxqsApp): QueuePublisher {
  const call = async (operation: string, region: string, input: object) => {
    const response = await app.inject({
      method: 'POST',
      url: '/',
      headers: {
        'content-type': SQS_JSON,
        'x-amz-target': `AmazonSQS.${operation}`,
        // fauxqs reads the region from the SigV4 credential scope.
        authorization: `AWS4-HMAC-SHA256 Credential=edge/20260101/${region}/sqs/aws4_request, SignedHeaders=host, Signature=0`,
      },
      payload: JSON.stringify(input),
    });
    return { status: response.statusCode, body: response.json() as Record<string, unknown> };
  };
  return {
    async queueUrl(queueArn) {
      const parts = queueArn.split(':');
      if (parts.length !== 6 || parts[2] !== 'sqs') return undefined;
      const result = await call('GetQueueUrl', parts[3]!, { QueueName: parts[5] });
      return result.status === 200 ? String(result.body.QueueUrl) : undefined;
    },
    async send(queueUrl, body) {
      const region = /sqs\.([^.]+)\./.exec(queueUrl)?.[1] ?? DEFAULT_REGION;
      const result = await call('SendMessage', region, { QueueUrl: queueUrl, MessageBody: body });
      if (result.status !== 200)
        throw new Error(`SendMessage to ${queueUrl} failed: ${JSON.stringify(result.body)}`);
    },
  };
}

async function listen(server: Server, port: number, host: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(error.code === 'EADDRINUSE' ? new EdgePortInUseError(host, port) : error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/**
 * Starts the embedded AWS endpoint: S3 and SQS (fauxqs), DynamoDB (dynalite), SSM Parameter
 * Store and STS AssumeRole, all on one port like LocalStack's 4566. The emulators run in this
 * process and are called directly with each request — no internal sockets — so an aborted
 * client request cannot strand an upstream connection. The edge adds what no emulator gives on
 * Node 20: S3 → SQS bucket notifications.
 */
export async function startEdge(options: EdgeOptions = {}): Promise<Edge> {
  const host = options.host ?? '127.0.0.1';
  const region = options.region ?? DEFAULT_REGION;
  const logger = options.logger ?? silentLogger();

  const fauxqs = buildApp({ logger: false, defaultRegion: region });
  installEmulatorHooks(fauxqs);
  await fauxqs.ready();
  const dynamo = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.dynamoDbPath ? { path: options.dynamoDbPath } : {}),
  });
  // dynalite is driven by emitting requests on its server; it also listens on a private
  // loopback port only so that its own close() runs its database shutdown.
  await listen(dynamo, 0, '127.0.0.1');

  const publisher = queuePublisher(fauxqs);
  const notifier = new BucketNotifier(region, publisher, logger);
  const upstream: S3Upstream = {
    route: (req, res) => fauxqs.routing(req, res),
    inject: async (request) => {
      const response = await fauxqs.inject(request);
      return { statusCode: response.statusCode, headers: response.headers, rawPayload: response.rawPayload };
    },
  };
  const s3 = new S3Gateway(upstream, notifier, logger, { region });
  const sqs = new SqsGateway({
    route: (req, res) => fauxqs.routing(req, res),
    inject: async (request) => {
      const response = await fauxqs.inject(request);
      return { statusCode: response.statusCode, headers: response.headers, rawPayload: response.rawPayload };
    },
    queueUrl: (arn) => publisher.queueUrl(arn),
  });
  const parameters = new ParameterStore(region);
  const roles = new RoleIssuer();

  const handleSsm = async (req: IncomingMessage, res: ServerResponse, operation: string) => {
    const contentType = 'application/x-amz-json-1.1';
    try {
      const body = await readBody(req, MAX_JSON_BODY_BYTES);
      const input = body.length ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
      send(res, 200, contentType, JSON.stringify(parameters.handle(operation, input)));
    } catch (error) {
      const failure =
        error instanceof AwsServiceError
          ? error
          : new AwsServiceError('ValidationException', `invalid request body: ${(error as Error).message}`);
      send(res, failure.statusCode, contentType, jsonErrorBody(failure));
    }
  };

  /** Form-encoded POSTs to `/` are STS (AssumeRole, here) or SNS / GetCallerIdentity (fauxqs). */
  const handleQuery = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req, MAX_JSON_BODY_BYTES);
    const params = new URLSearchParams(body.toString('utf8'));
    if (params.get('Action') === 'AssumeRole') {
      try {
        send(res, 200, 'text/xml', roles.handle(params));
      } catch (error) {
        const failure =
          error instanceof AwsServiceError
            ? error
            : new AwsServiceError('InternalFailure', String(error), 500);
        send(res, failure.statusCode, 'text/xml', queryErrorBody(failure));
      }
      return;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && name !== 'content-length') headers[name] = value;
    }
    relay(res, await fauxqs.inject({ method: 'POST', url: req.url ?? '/', headers, payload: body }));
  };

  const dispatch = async (req: IncomingMessage, res: ServerResponse) => {
    const target = header(req, 'x-amz-target');
    const path = (req.url ?? '/').split('?')[0];
    if (target.startsWith('DynamoDB_')) {
      dynamo.emit('request', req, res);
    } else if (target.startsWith('AmazonSQS.')) {
      await sqs.handle(req, res, target.slice('AmazonSQS.'.length));
    } else if (target.startsWith('AmazonSSM.')) {
      await handleSsm(req, res, target.slice('AmazonSSM.'.length));
    } else if (path === '/_edge/health') {
      req.resume();
      send(
        res,
        200,
        'application/json',
        JSON.stringify({ status: 'ok', services: ['s3', 'sqs', 'dynamodb', 'ssm', 'sts'] }),
      );
    } else if (
      req.method === 'POST' &&
      path === '/' &&
      header(req, 'content-type').includes('x-www-form-urlencoded')
    ) {
      await handleQuery(req, res);
    } else if (path === '/health' || path?.startsWith('/_fauxqs/')) {
      fauxqs.routing(req, res);
    } else {
      await s3.handle(req, res);
    }
  };

  const server = http.createServer((req, res) => {
    logServerErrors(req, res, logger);
    dispatch(req, res).catch((error: unknown) => {
      const tooLarge = error instanceof BodyTooLargeError;
      if (tooLarge)
        logger.warn({ method: req.method, url: req.url, err: error }, 'edge request body too large');
      else noteServerError(res, error);
      send(
        res,
        tooLarge ? 413 : 500,
        'application/xml',
        s3ErrorBody(tooLarge ? 'EntityTooLarge' : 'InternalError', (error as Error).message),
      );
    });
  });
  // Large multipart uploads and 20 s long polls must not be cut off by Node's defaults; keep-alive
  // outlives the SDK's idle sockets so a reused connection is never closed under a request.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  try {
    await listen(server, options.port ?? 4566, host);
  } catch (error) {
    await fauxqs.close();
    await new Promise<void>((resolve) => dynamo.close(() => resolve()));
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info({ endpoint }, 'edge listening');

  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    port,
    region,
    target: { region, endpoint, credentials: { ...EMULATOR_CREDENTIALS } },
    assumedRoles: () => roles.assumedRoles(),
    onS3Write: (listener) => s3.onWrite(listener),
    onNotification: (listener) => notifier.onNotification(listener),
    stop() {
      stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await notifier.settle();
        // Long polls hold connections open; fauxqs's close cancels them, then sockets go.
        await fauxqs.close();
        server.closeAllConnections();
        await closed;
        await new Promise<void>((resolve) => dynamo.close(() => resolve()));
        logger.info({ endpoint }, 'edge stopped');
      })();
      return stopping;
    },
  };
}
