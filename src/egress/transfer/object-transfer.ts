import { performance } from 'node:perf_hooks';
import { pipeline, type Readable, type Transform } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '../../logging/logger.ts';
import { describeFailure } from '../../util/describe-failure.ts';
import { ObjectTransferError } from '../errors.ts';
import { type Destination, planDataObject } from '../plan/destinations.ts';
import type { ResolvedRule } from '../rules/matching.ts';
import { describeRuleKey } from '../rules/rule.ts';
import { ByteCounter } from './byte-counter.ts';
import { createCompressor } from './compression.ts';
import type { EgressCrypto } from './content-seam.ts';
import type { DeliverySinks } from './delivery.ts';
import type { DestinationClients } from './destination-clients.ts';
import type { ListedObject } from './source-listing.ts';

/** The long-lived collaborators of object transfers. */
export interface TransferDependencies {
  /** Source reads always use the service's own credentials, never a rule's role (behaviour §2.1). */
  sourceS3: S3Client;
  clients: DestinationClients;
  sinks: DeliverySinks;
  crypto: EgressCrypto;
  /** zlib level of `gz` / `z` compression (1–9). */
  compressionLevel: number;
}

/** Per-message context. */
export interface TransferScope {
  correlationId: string;
  messageId: string;
  signal: AbortSignal;
  logger: Logger;
}

export type ObjectTransferResult =
  | {
      ok: true;
      sourceKey: string;
      destination: Destination;
      sourceBytes: number;
      sentBytes: number;
      durationMs: number;
    }
  | {
      ok: false;
      sourceKey: string;
      destination: Destination | undefined;
      error: ObjectTransferError;
      durationMs: number;
    };

/**
 * Transfers one object, streaming end to end:
 * GetObject (one request: body AND metadata — the original fetched every object twice, behaviour §10.2)
 * → crypto seam → optional gzip/deflate → S3 Upload or SFT file.
 *
 * Never throws: a failure is returned as an {@link ObjectTransferError} with its context, so the
 * rule's other objects carry on (behaviour §1.5).
 */
export async function transferObject(
  dependencies: TransferDependencies,
  resolved: ResolvedRule,
  object: ListedObject,
  scope: TransferScope,
): Promise<ObjectTransferResult> {
  const started = performance.now();
  const { rule } = resolved;
  const logger = scope.logger.child({ key: object.key });
  let destination: Destination | undefined;
  let sourceBody: Readable | undefined;
  try {
    destination = planDataObject(resolved, object.key);
    const response = await dependencies.sourceS3.send(
      new GetObjectCommand({ Bucket: rule.sourceBucket, Key: object.key }),
      { abortSignal: scope.signal },
    );
    sourceBody = response.Body as Readable;
    const sourceCounter = new ByteCounter();
    // Errors travel down the chain: a failing GET stream destroys the counter, which fails the sink.
    pipeline(sourceBody, sourceCounter, () => {});
    const content = await dependencies.crypto.transformObject(
      {
        bucket: rule.sourceBucket,
        key: object.key,
        body: sourceCounter,
        metadata: response.Metadata ?? {},
        contentLength: response.ContentLength,
      },
      {
        rule: resolved,
        destination,
        correlationId: scope.correlationId,
        signal: scope.signal,
        logger,
        ssm: () => dependencies.clients.ssm(rule.roleArn),
      },
    );
    const stages: [Readable, ...Transform[]] = [content.body];
    if (rule.compression) stages.push(createCompressor(rule.compression, dependencies.compressionLevel));
    const sentBytes = await dependencies.sinks.deliver({
      destination,
      roleArn: rule.roleArn,
      stages,
      metadata: content.metadata,
      signal: scope.signal,
    });
    return {
      ok: true,
      sourceKey: object.key,
      destination,
      sourceBytes: sourceCounter.bytes,
      sentBytes,
      durationMs: performance.now() - started,
    };
  } catch (error) {
    sourceBody?.destroy();
    const context = {
      messageId: scope.messageId,
      bucket: rule.sourceBucket,
      key: object.key,
      rule: describeRuleKey(rule.key),
    };
    const failure =
      error instanceof ObjectTransferError
        ? error
        : new ObjectTransferError(`failed to egress object: ${describeFailure(error)}`, context, {
            cause: error,
          });
    // Context known here fills whatever the thrower did not set.
    Object.assign(failure.context, { ...context, ...failure.context });
    return {
      ok: false,
      sourceKey: object.key,
      destination,
      error: failure,
      durationMs: performance.now() - started,
    };
  }
}
