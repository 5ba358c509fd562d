import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { Registry } from 'prom-client';
import { recordAwsCalls } from '../aws/call-recorder.ts';
import { createDocumentClient, createDynamoClient, createS3Client, createSqsClient } from '../aws/clients.ts';
import { type Logger, silentLogger } from '../logging/logger.ts';
import { Limiter } from '../util/concurrency.ts';
import { OWN_CREDENTIALS } from './aws-identity.ts';
import {
  type EgressServiceConfig,
  type ResolvedEgressServiceConfig,
  resolveEgressServiceConfig,
} from './config/service-config.ts';
import { QueueConsumer } from './consumer/queue-consumer.ts';
import { createDksEgressCrypto, type OwnedEgressCrypto } from './crypto/dks/dks-settings.ts';
import { cryptoWithoutDks } from './crypto/egress-crypto.ts';
import { MessageProcessor } from './message-processor.ts';
import { EgressEventBus, type EgressEventListener, type EgressEventName } from './observability/events.ts';
import { EgressMetrics } from './observability/metrics.ts';
import { type MetricsServer, startMetricsServer } from './observability/metrics-server.ts';
import { type PushgatewayPusher, startPushgatewayPusher } from './observability/pushgateway.ts';
import { RuleRepository } from './rules/repository.ts';
import type { EgressCrypto } from './transfer/content-seam.ts';
import { DeliverySinks } from './transfer/delivery.ts';
import { DestinationClients } from './transfer/destination-clients.ts';

/** Options of {@link startEgressService} besides the configuration. */
export interface EgressServiceOptions {
  /** Structured logs; default: silent (library convention). */
  logger?: Logger;
  /**
   * Encryption support (HTME decrypt / pass-through / re-wrap, CSE, encrypted manifests).
   * Default: built from `config.dks` when `dks.url` is set (DKS client with the PEM files read once
   * at start, closed on stop); without a DKS URL, plain objects and HTME pass-through work and
   * whatever needs a key (decrypt, re-wrap, CSE, encrypted manifests) fails its object naming the
   * missing setting. A crypto given here is used as is and not closed by the service. See
   * `transfer/content-seam.ts` and docs/encryption.md.
   */
  crypto?: EgressCrypto;
  /** The clock read once per message for dates. Default: the system clock. */
  clock?: () => Date;
  /** Credentials for a rule's `role_arn`. Default: STS AssumeRole, session `data-egress`. */
  assumeRole?: (roleArn: string) => AwsCredentialIdentityProvider;
}

/** A running egress service. */
export interface EgressService {
  /** The configuration in force, defaults applied. */
  readonly config: ResolvedEgressServiceConfig;
  /** `http://<host>:<port>/metrics` (Prometheus text); `/health` is beside it. */
  readonly metricsUrl: string;
  /** The service's own Prometheus registry. */
  readonly registry: Registry;
  /** Subscribes to an event (see `EgressEvents`); returns the unsubscribe function. */
  on<K extends EgressEventName>(event: K, listener: EgressEventListener<K>): () => void;
  /**
   * Stops receiving, lets in-flight messages finish within `shutdownTimeoutMs` (then aborts them,
   * leaving them for redelivery), makes a last Pushgateway push and closes every socket. Idempotent.
   */
  stop(): Promise<void>;
}

/**
 * Starts the egress service: consumes S3 flag events from SQS, routes them through the DynamoDB
 * rules and delivers the data to S3 or the SFT directory (docs/reference/egress-behaviour.md, behaviour §1–§3 and §5–§7).
 *
 * @throws EgressConfigError when the configuration is invalid (before anything starts)
 */
export async function startEgressService(
  config: EgressServiceConfig,
  options: EgressServiceOptions = {},
): Promise<EgressService> {
  const resolved = resolveEgressServiceConfig(config);
  const logger = options.logger ?? silentLogger();
  // Built before anything else starts: an unreadable PEM file is a configuration error.
  const ownCrypto: OwnedEgressCrypto | undefined =
    options.crypto === undefined && resolved.dks.url !== undefined
      ? await createDksEgressCrypto(resolved.dks, { logger })
      : undefined;
  const metrics = new EgressMetrics();
  const events = new EgressEventBus((event, error) =>
    logger.warn({ err: error, event }, 'egress event listener threw'),
  );

  const sqs = recordAwsCalls(createSqsClient(resolved.aws), OWN_CREDENTIALS);
  const sourceS3 = recordAwsCalls(createS3Client(resolved.aws), OWN_CREDENTIALS);
  const documentClient = createDocumentClient(
    recordAwsCalls(createDynamoClient(resolved.aws), OWN_CREDENTIALS),
  );
  const clients = new DestinationClients({
    target: resolved.aws,
    logger,
    ...(options.assumeRole ? { assumeRole: options.assumeRole } : {}),
  });
  const destroyClients = () => {
    sqs.destroy();
    sourceS3.destroy();
    documentClient.destroy();
    clients.destroy();
    void ownCrypto?.close();
  };

  const rules = new RuleRepository({
    documentClient,
    table: resolved.table,
    cacheTtlMs: resolved.ruleCacheTtlMs,
    logger,
    onInvalid: (invalid) => {
      metrics.invalidRulesFound(invalid.length);
      for (const item of invalid) events.emit('rule_invalid', { key: item.key, reason: item.reason });
    },
    onUnknownColumns: (items) => {
      for (const item of items) events.emit('rule_unknown_columns', { key: item.key, columns: item.columns });
    },
  });
  const processor = new MessageProcessor({
    rules,
    events,
    logger,
    timeZone: resolved.timeZone,
    ...(options.clock ? { clock: options.clock } : {}),
    egress: {
      transfer: {
        sourceS3,
        clients,
        crypto: options.crypto ?? ownCrypto?.crypto ?? cryptoWithoutDks,
        compressionLevel: resolved.compressionLevel,
        sinks: new DeliverySinks({
          clients,
          sftRoot: resolved.sftRoot,
          upload: {
            partSizeBytes: resolved.uploadPartSizeMiB * 1024 * 1024,
            queueSize: resolved.uploadQueueSize,
          },
        }),
      },
      objectLimiter: new Limiter(resolved.objectConcurrency).schedule,
      metrics,
      events,
    },
  });
  const consumer = new QueueConsumer({
    sqs,
    queueUrl: resolved.queueUrl,
    deadLetterQueueUrl: resolved.deadLetterQueueUrl,
    messagesInFlight: resolved.messagesInFlight,
    batchSize: resolved.batchSize,
    visibilityTimeoutSeconds: resolved.visibilityTimeoutSeconds,
    heartbeatIntervalSeconds: resolved.heartbeatIntervalSeconds,
    waitTimeSeconds: resolved.waitTimeSeconds,
    processor,
    events,
    metrics,
    logger,
  });

  let metricsServer: MetricsServer;
  try {
    metricsServer = await startMetricsServer({
      registry: metrics.registry,
      port: resolved.metricsPort,
      host: resolved.metricsHost,
      logger,
      health: () => ({
        ok: consumer.isRunning,
        detail: { messagesInFlight: consumer.messagesInFlight, queueUrl: resolved.queueUrl },
      }),
    });
  } catch (error) {
    destroyClients();
    throw error;
  }
  const pusher: PushgatewayPusher | undefined = resolved.pushgatewayUrl
    ? startPushgatewayPusher({
        url: resolved.pushgatewayUrl,
        instance: resolved.pushgatewayInstance,
        intervalMs: resolved.pushgatewayIntervalMs,
        registry: metrics.registry,
        logger,
      })
    : undefined;

  consumer.start();
  logger.info(
    {
      queueUrl: resolved.queueUrl,
      table: resolved.table,
      sftRoot: resolved.sftRoot,
      metricsUrl: metricsServer.metricsUrl,
      messagesInFlight: resolved.messagesInFlight,
      objectConcurrency: resolved.objectConcurrency,
      timeZone: resolved.timeZone,
      crypto: options.crypto
        ? 'given'
        : ownCrypto
          ? `dks ${resolved.dks.url}`
          : 'no DKS: plain and pass-through only',
    },
    'egress service started',
  );

  let stopping: Promise<void> | undefined;
  return {
    config: resolved,
    metricsUrl: metricsServer.metricsUrl,
    registry: metrics.registry,
    on: (event, listener) => events.on(event, listener),
    stop() {
      stopping ??= (async () => {
        const { drained } = await consumer.stop(resolved.shutdownTimeoutMs);
        await pusher?.stop();
        await metricsServer.close();
        destroyClients();
        logger.info({ drained }, 'egress service stopped');
      })();
      return stopping;
    },
  };
}
