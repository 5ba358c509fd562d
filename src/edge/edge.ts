import { mkdir } from 'node:fs/promises';
import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import dynalite from 'dynalite';
import { buildApp } from 'fauxqs';
import { DEFAULT_REGION, EMULATOR_CREDENTIALS } from '../aws/target.ts';
import { type Logger, silentLogger } from '../logging/logger.ts';
import { PACKAGE_VERSION } from '../util/package-version.ts';
import {
  type AwsProtocol,
  AwsServiceError,
  errorAnswer,
  jsonErrorBody,
  queryErrorBody,
} from './aws-error.ts';
import { DynamoDbFront } from './dynamodb.ts';
import type { EdgeHandle, EdgeRestoreSummary } from './edge-handle.ts';
import { installEmulatorErrorHandler } from './emulator-errors.ts';
import { holdFaultContainment, runInRequestScope } from './fault-containment.ts';
import { type ComponentHealth, healthReport, probeHealth } from './health.ts';
import {
  BodyTooLargeError,
  ClientGoneError,
  forwardedHeaders,
  logServerErrors,
  noteServerError,
  readBody,
  relay,
  send,
} from './http-util.ts';
import { BucketNotifier, type QueuePublisher } from './notifications/notifier.ts';
import {
  ALLOWED_HOSTS_VARIABLE,
  ALLOWED_ORIGINS_VARIABLE,
  OriginPolicy,
  parseList,
} from './origin-policy.ts';
import { EDGE_SNAPSHOT_VERSION, readEdgeSnapshot, writeEdgeSnapshot } from './persistence/edge-snapshot.ts';
import { createFauxqsQueueStore } from './persistence/fauxqs-queue-store.ts';
import { restoreQueues, snapshotQueues } from './persistence/sqs-snapshot.ts';
import { EdgePortInUseError } from './port-in-use.ts';
import { MAX_S3_BODY_BYTES, S3Gateway, type S3Upstream } from './s3-gateway.ts';
import { S3Storage } from './s3-storage/index.ts';
import { SqsGateway } from './sqs-gateway.ts';
import { SqsReceiveFront } from './sqs-receive.ts';
import { ParameterStore } from './ssm.ts';
import { RoleIssuer } from './sts.ts';

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
  /**
   * Keep the state across restarts in this directory (`--persist`): S3 bodies in `s3/`, DynamoDB
   * tables in `dynamodb/` (unless `dynamoDbPath` says otherwise), and the rest — the S3 catalogue,
   * queues with their messages, SSM parameters, notification configurations — in `edge.json`,
   * written when the edge stops gracefully and restored when it starts. A kill loses what changed
   * in memory since the last graceful stop (DynamoDB excepted). Takes the place of `s3StorageDir`.
   */
  persistDir?: string;
  /**
   * Directory for S3 object bodies (small ones stay in memory), removed when the edge stops. It
   * must be missing, empty, or one an edge used before. Default: a new directory under the system's
   * temporary directory.
   */
  s3StorageDir?: string;
  /**
   * Host names accepted in `Host` besides loopback ones and `host` (DNS-rebinding protection),
   * e.g. the compose service name `edge`; `*` accepts any. @defaultValue `EGRESS_ALLOWED_HOSTS`
   */
  allowedHosts?: readonly string[];
  /**
   * Origins accepted in `Origin` besides loopback ones (cross-site protection); `*` accepts any.
   * @defaultValue `EGRESS_ALLOWED_ORIGINS`
   */
  allowedOrigins?: readonly string[];
  logger?: Logger;
}

export type { EdgeRestoreSummary } from './edge-handle.ts';
export { EdgePortInUseError } from './port-in-use.ts';

/** The edge as `startEdge` runs it: on the calling thread. */
export type Edge = EdgeHandle;

const SQS_JSON = 'application/x-amz-json-1.0';
const MAX_JSON_BODY_BYTES = 1024 * 1024;

type FauxqsApp = ReturnType<typeof buildApp>;

/** One service of the edge, as chosen for a request. */
interface EdgeRoute {
  service: 'dynamodb' | 'sqs' | 'ssm' | 'sts' | 's3' | 'fauxqs' | 'edge';
  protocol: AwsProtocol;
  handle(): Promise<void> | void;
}

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
  // Queue URLs by ARN: a lookup per event costs as much as the send. A URL is dropped when a send
  // to it fails, so a deleted queue is looked up (and found missing) again.
  const urls = new Map<string, string>();
  return {
    async queueUrl(queueArn) {
      const known = urls.get(queueArn);
      if (known) return known;
      const parts = queueArn.split(':');
      if (parts.length !== 6 || parts[2] !== 'sqs') return undefined;
      const result = await call('GetQueueUrl', parts[3]!, { QueueName: parts[5] });
      if (result.status !== 200) return undefined;
      const url = String(result.body.QueueUrl);
      urls.set(queueArn, url);
      return url;
    },
    async send(queueUrl, body) {
      const region = /sqs\.([^.]+)\./.exec(queueUrl)?.[1] ?? DEFAULT_REGION;
      const result = await call('SendMessage', region, { QueueUrl: queueUrl, MessageBody: body });
      if (result.status !== 200) {
        for (const [arn, url] of urls) if (url === queueUrl) urls.delete(arn);
        throw new Error(`SendMessage to ${queueUrl} failed: ${JSON.stringify(result.body)}`);
      }
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
  const originPolicy = new OriginPolicy(
    {
      allowedHosts: [...(options.allowedHosts ?? parseList(process.env[ALLOWED_HOSTS_VARIABLE])), host],
      allowedOrigins: options.allowedOrigins ?? parseList(process.env[ALLOWED_ORIGINS_VARIABLE]),
    },
    { hosts: ALLOWED_HOSTS_VARIABLE, origins: ALLOWED_ORIGINS_VARIABLE },
  );

  const persistDir = options.persistDir ? path.resolve(options.persistDir) : undefined;
  const snapshotFile = persistDir ? path.join(persistDir, 'edge.json') : undefined;
  if (persistDir) await mkdir(persistDir, { recursive: true, mode: 0o700 });
  const snapshot = snapshotFile ? await readEdgeSnapshot(snapshotFile) : undefined;
  if (snapshot && snapshot.region !== region) {
    logger.warn(
      { snapshotRegion: snapshot.region, region },
      'the persisted state was saved in another region',
    );
  }

  // Object bodies live in files, not in fauxqs's memory: it gets our catalogue as its S3 store.
  const storage = await S3Storage.open({
    directory: persistDir ? path.join(persistDir, 's3') : options.s3StorageDir,
    maxBodyBytes: MAX_S3_BODY_BYTES,
    ...(persistDir ? { persistent: { restore: snapshot?.s3 } } : {}),
    logger,
  });
  // The SQS store is the edge's own when it persists, so that its queues can be read and restored.
  const queueStore = persistDir ? await createFauxqsQueueStore() : undefined;
  const fauxqs = buildApp({
    logger: false,
    defaultRegion: region,
    stores: {
      ...storage.fauxqsStores(),
      ...(queueStore ? { sqsStore: queueStore } : {}),
    } as NonNullable<Parameters<typeof buildApp>[0]>['stores'],
  });
  installEmulatorErrorHandler(fauxqs);
  await fauxqs.ready();
  // Worked out once: dynalite keeps its tables here, and health says so.
  const dynamoDbPath = options.dynamoDbPath ?? (persistDir ? path.join(persistDir, 'dynamodb') : undefined);
  const dynamo = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(dynamoDbPath ? { path: dynamoDbPath } : {}),
  });
  // dynalite is driven by emitting requests on its server; it also listens on a private
  // loopback port only so that its own close() runs its database shutdown.
  await listen(dynamo, 0, '127.0.0.1');

  const publisher = queuePublisher(fauxqs);
  const notifier = new BucketNotifier(region, publisher, logger);
  const upstream: S3Upstream = {
    route: (req, res) => {
      if (!storage.handle(req, res)) fauxqs.routing(req, res);
    },
    inject: async (request) => {
      const head = request.method === 'HEAD' ? storage.headObject(request.url) : undefined;
      if (head) return head;
      const response = await fauxqs.inject(request);
      return { statusCode: response.statusCode, headers: response.headers, rawPayload: response.rawPayload };
    },
  };
  const s3 = new S3Gateway(upstream, notifier, logger, { region });
  const parameters = new ParameterStore(region);
  const roles = new RoleIssuer();
  if (snapshot) {
    parameters.restore(snapshot.ssm);
    notifier.restore(snapshot.notifications);
  }

  const dynamoDb = new DynamoDbFront(dynamo);
  const sqsReceive = new SqsReceiveFront(fauxqs, logger);
  const sqs = new SqsGateway({
    route: (req, res) => fauxqs.routing(req, res),
    inject: (request) => fauxqs.inject(request),
    queueUrl: (arn) => publisher.queueUrl(arn),
  });

  let stopped = false;
  let contributor: (() => Promise<Record<string, ComponentHealth>>) | undefined;
  /** The edge's own services, probed in process, then whatever the sandbox contributes. */
  const health = async () => {
    const endpointUrl = `http://${host.includes(':') ? `[${host}]` : host}:${(server.address() as AddressInfo | null)?.port ?? ''}`;
    const own: Record<string, ComponentHealth> = {
      s3: await probeHealth(endpointUrl, async () => {
        const stats = storage.stats();
        return `${stats.buckets} buckets, ${stats.objects} objects`;
      }),
      sqs: await probeHealth(endpointUrl, async () => {
        const response = await fauxqs.inject({ method: 'GET', url: '/_fauxqs/queues' });
        if (response.statusCode !== 200) throw new Error(`the SQS emulator answered ${response.statusCode}`);
        return `${(response.json() as unknown[]).length} queues`;
      }),
      dynamodb: await probeHealth(endpointUrl, async () => {
        if (!dynamo.listening) throw new Error('the DynamoDB emulator is closed');
        return dynamoDbPath ? `tables on disk in ${dynamoDbPath}` : 'tables in memory';
      }),
      ssm: { state: 'running', url: endpointUrl, detail: `${parameters.size} parameters` },
      sts: { state: 'running', url: endpointUrl },
    };
    if (stopped) for (const name of Object.keys(own)) own[name] = { ...own[name]!, state: 'stopping' };
    const others = contributor
      ? await contributor().catch((error: unknown) => ({
          sandbox: {
            state: 'error' as const,
            detail: `health of the other components unknown: ${(error as Error).message}`,
          },
        }))
      : {};
    return healthReport({ ...own, ...others }, PACKAGE_VERSION);
  };

  const handleSsm = async (req: IncomingMessage, res: ServerResponse, operation: string) => {
    const contentType = 'application/x-amz-json-1.1';
    const body = await readBody(req, MAX_JSON_BODY_BYTES);
    try {
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
    const headers = forwardedHeaders(req);
    relay(res, await fauxqs.inject({ method: 'POST', url: req.url ?? '/', headers, payload: body }));
  };

  /** The service a request is for: how to handle it, and the shape of its errors. */
  const route = (req: IncomingMessage, res: ServerResponse): EdgeRoute => {
    const target = header(req, 'x-amz-target');
    const path = (req.url ?? '/').split('?')[0];
    if (target.startsWith('DynamoDB_')) {
      return { service: 'dynamodb', protocol: 'json-1.0', handle: () => dynamoDb.handle(req, res) };
    }
    if (target === 'AmazonSQS.ReceiveMessage') {
      return { service: 'sqs', protocol: 'json-1.0', handle: () => sqsReceive.handle(req, res) };
    }
    if (target.startsWith('AmazonSQS.')) {
      const operation = target.slice('AmazonSQS.'.length);
      return { service: 'sqs', protocol: 'json-1.0', handle: () => sqs.handle(req, res, operation) };
    }
    if (target.startsWith('AmazonSSM.')) {
      const operation = target.slice('AmazonSSM.'.length);
      return { service: 'ssm', protocol: 'json-1.1', handle: () => handleSsm(req, res, operation) };
    }
    if (path === '/_localstack/health') {
      return {
        service: 'edge',
        protocol: 'rest-xml',
        handle: async () => {
          req.resume();
          if (req.method === 'HEAD') {
            send(res, 200, 'text/plain', '');
            return;
          }
          send(res, 200, 'application/json', JSON.stringify(await health()));
        },
      };
    }
    if (path === '/_edge/health') {
      return {
        service: 'edge',
        protocol: 'rest-xml',
        handle: () => {
          req.resume();
          send(
            res,
            200,
            'application/json',
            JSON.stringify({ status: 'ok', services: ['s3', 'sqs', 'dynamodb', 'ssm', 'sts'] }),
          );
        },
      };
    }
    if (
      req.method === 'POST' &&
      path === '/' &&
      header(req, 'content-type').includes('x-www-form-urlencoded')
    ) {
      return { service: 'sts', protocol: 'query', handle: () => handleQuery(req, res) };
    }
    if (path === '/health' || path?.startsWith('/_fauxqs/')) {
      return { service: 'fauxqs', protocol: 'rest-xml', handle: () => fauxqs.routing(req, res) };
    }
    return { service: 's3', protocol: 'rest-xml', handle: () => s3.handle(req, res) };
  };
  /**
   * The one place a failed request is answered: a client that hung up gets nothing (debug line);
   * an over-size body a 413; anything else — a bug, or an emulator that threw, even from a later
   * callback — a 500 in the service's own error shape and one error line with the request line.
   * That line is the request's only one: the 5xx observer ({@link logServerErrors}) stays quiet.
   */
  const fail = (req: IncomingMessage, res: ServerResponse, r: EdgeRoute, error: unknown, escaped = false) => {
    const request = `${req.method} ${req.url}`;
    const target = header(req, 'x-amz-target') || undefined;
    if (error instanceof ClientGoneError) {
      logger.debug({ request, target, service: r.service }, 'client hung up mid-request');
      res.destroy();
      return;
    }
    const tooLarge = error instanceof BodyTooLargeError;
    if (!tooLarge) {
      logger.error(
        { err: error, request, target, service: r.service, ...(escaped ? { escaped } : {}) },
        'edge request failed',
      );
      noteServerError(res, error, { logged: true });
    }
    // Answered already (an exception from a timer the request left behind) or nobody to answer.
    if (res.writableFinished) return;
    if (req.socket.destroyed) {
      res.destroy();
      return;
    }
    const failure = tooLarge
      ? new AwsServiceError(
          r.protocol === 'rest-xml' ? 'EntityTooLarge' : 'RequestEntityTooLarge',
          (error as Error).message,
          413,
        )
      : new AwsServiceError(
          r.protocol === 'query' ? 'InternalFailure' : 'InternalError',
          `the edge failed to handle ${request}: ${(error as Error)?.message ?? String(error)}`,
          500,
        );
    const answer = errorAnswer(r.protocol, failure);
    send(res, failure.statusCode, answer.contentType, answer.body);
  };

  /** Cross-site and DNS-rebinding requests (origin-policy.ts): 403, one warning, nothing done. */
  const refuseForeign = (req: IncomingMessage, res: ServerResponse, r: EdgeRoute): boolean => {
    const verdict = originPolicy.check({ host: req.headers.host, origin: req.headers.origin });
    if (verdict.allowed) return false;
    logger.warn(
      {
        request: `${req.method} ${req.url}`,
        host: req.headers.host,
        origin: req.headers.origin,
        service: r.service,
        reason: verdict.reason,
      },
      'cross-site request refused',
    );
    const code = r.protocol.startsWith('json') ? 'AccessDeniedException' : 'AccessDenied';
    const answer = errorAnswer(r.protocol, new AwsServiceError(code, verdict.reason, 403));
    req.resume();
    send(res, 403, answer.contentType, answer.body, { connection: 'close' });
    return true;
  };

  const server = http.createServer((req, res) => {
    // A 5xx answered by an emulator or the storage layer (not through fail()) is logged here, once.
    logServerErrors(req, res, logger);
    const r = route(req, res);
    if (refuseForeign(req, res, r)) return;
    runInRequestScope({ fail: (error) => fail(req, res, r, error, true) }, () => {
      Promise.resolve()
        .then(() => r.handle())
        .catch((error: unknown) => fail(req, res, r, error));
    });
  });
  // Large multipart uploads and 20 s long polls must not be cut off by Node's defaults; keep-alive
  // outlives the SDK's idle sockets so a reused connection is never closed under a request.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  const releaseFaultContainment = holdFaultContainment();
  try {
    await listen(server, options.port ?? 4566, host);
  } catch (error) {
    releaseFaultContainment();
    await fauxqs.close();
    await storage.close();
    await new Promise<void>((resolve) => dynamo.close(() => resolve()));
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  // Queue URLs carry the port, known only now. Restored synchronously, before the first request
  // is read (requests are handled in later turns of the event loop).
  const restoredMessages = queueStore && snapshot ? restoreQueues(queueStore, snapshot.sqs, port) : 0;
  const restored: EdgeRestoreSummary | undefined = persistDir
    ? {
        savedAt: snapshot?.savedAt,
        buckets: storage.restored?.buckets ?? 0,
        objects: storage.restored?.objects ?? 0,
        droppedObjects: storage.restored?.dropped ?? [],
        queues: snapshot?.sqs.length ?? 0,
        messages: restoredMessages,
        parameters: snapshot?.ssm.length ?? 0,
        notifications: Object.keys(snapshot?.notifications ?? {}).length,
      }
    : undefined;
  if (restored) {
    logger.info(
      { persistDir, ...restored, droppedObjects: restored.droppedObjects.length },
      'persisted state restored',
    );
    for (const object of restored.droppedObjects) {
      logger.warn(
        object,
        'persisted object dropped: its body is gone (the sandbox was killed after the last snapshot)',
      );
    }
  }
  logger.info({ endpoint, threadId }, 'edge listening');

  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    port,
    region,
    target: { region, endpoint, credentials: { ...EMULATOR_CREDENTIALS } },
    threadId,
    assumedRoles: () => roles.assumedRoles(),
    onS3Write: (listener) => s3.onWrite(listener),
    s3Storage: () => storage.stats(),
    onNotification: (listener) => notifier.onNotification(listener),
    setHealthContributor: (provider) => {
      contributor = provider;
    },
    health,
    restored,
    stop() {
      stopping ??= (async () => {
        stopped = true;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await notifier.settle();
        // Long polls hold connections open; fauxqs's close cancels them, then sockets go.
        await fauxqs.close();
        server.closeAllConnections();
        await closed;
        if (snapshotFile) {
          // Nothing is served any more: the state is still and can be written down.
          try {
            await writeEdgeSnapshot(snapshotFile, {
              version: EDGE_SNAPSHOT_VERSION,
              savedAt: new Date().toISOString(),
              region,
              s3: storage.snapshot(),
              sqs: queueStore ? snapshotQueues(queueStore) : [],
              ssm: parameters.snapshot(),
              notifications: notifier.snapshot(),
            });
            logger.info({ snapshotFile }, 'state persisted');
          } catch (error) {
            logger.error({ err: error, snapshotFile }, 'could not persist the state');
          }
        }
        await storage.close();
        await new Promise<void>((resolve) => dynamo.close(() => resolve()));
        releaseFaultContainment();
        logger.info({ endpoint }, 'edge stopped');
      })();
      return stopping;
    },
  };
}
