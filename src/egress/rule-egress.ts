import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { RunLimited } from '../util/concurrency.ts';
import { describeFailure } from '../util/describe-failure.ts';
import { ObjectTransferError } from './errors.ts';
import type { EgressEventBus, RuleSummary } from './observability/events.ts';
import { EgressMetrics } from './observability/metrics.ts';
import {
  controlFileBody,
  controlFileEntry,
  type Destination,
  type ManifestLine,
  manifestBody,
  manifestEntry,
  planControlFile,
  planManifest,
} from './plan/destinations.ts';
import {
  describeDuplicates,
  findDuplicateDestinations,
  planRuleDestinations,
} from './plan/duplicate-destinations.ts';
import { s3Url } from './plan/locations.ts';
import { dataProduct, dataProductType, isEgressableKey } from './plan/naming.ts';
import type { ResolvedRule } from './rules/matching.ts';
import { describeRuleKey } from './rules/rule.ts';
import {
  type ObjectTransferResult,
  type TransferDependencies,
  type TransferScope,
  transferObject,
} from './transfer/object-transfer.ts';
import { type ListedObject, listSourceObjects } from './transfer/source-listing.ts';

const gzip = promisify(gzipCallback);

/** Transfers scheduled at once behind the service-wide limiter (one listing page's worth). */
const TRANSFER_WINDOW = 1_000;

/** The long-lived collaborators of rule egress. */
export interface RuleEgressDependencies {
  transfer: TransferDependencies;
  /** Shared by every rule of every message: bounds object transfers across the whole service. */
  objectLimiter: RunLimited;
  metrics: EgressMetrics;
  events: EgressEventBus;
}

/** The result of one rule for one message. */
export interface RuleOutcome {
  readonly summary: RuleSummary;
  /** Objects delivered, in listing order. */
  readonly sent: Extract<ObjectTransferResult, { ok: true }>[];
}

/**
 * Egresses one rule (behaviour §3): lists every page of its source prefix, checks that no two objects
 * (nor the control file or manifest) would be written to the same destination, transfers each data
 * object (flags and folder markers skipped) with bounded concurrency, then writes the control file
 * and the manifest.
 *
 * Success means every object was delivered AND the control file and manifest (when configured)
 * were written. Differences from the original, deliberately:
 * - one failing object does not stop the others, but then the control file and manifest are NOT
 *   written — they would announce an incomplete delivery; the message is retried and the retry
 *   writes them (the original listed failed objects in them, behaviour §10.23);
 * - a failing control file or manifest fails the rule, so the message is retried (the original
 *   ignored those failures);
 * - two sources with one destination name (`north/totals.csv`, `south/totals.csv`) fail the rule
 *   before anything is transferred, naming both (the original flattened and copied serially in
 *   listing order, so the last one silently won); a listing that breaks off transfers nothing.
 */
export async function egressRule(
  dependencies: RuleEgressDependencies,
  resolved: ResolvedRule,
  scope: TransferScope,
): Promise<RuleOutcome> {
  const { rule } = resolved;
  const logger = scope.logger.child({ rule: describeRuleKey(rule.key), transferType: rule.transferType });
  const ruleScope = { ...scope, logger };
  const labels = EgressMetrics.labelsFor(resolved);
  const pending: Promise<ObjectTransferResult>[] = [];

  const transferOne = async (object: { key: string; size: number }): Promise<ObjectTransferResult> => {
    if (scope.signal.aborted) {
      // Queued behind the concurrency limit when the service stopped: never attempted, so neither
      // counted nor reported as a failed transfer; the message is retried.
      const error = new ObjectTransferError('not attempted: the service is stopping', {
        messageId: scope.messageId,
        bucket: rule.sourceBucket,
        key: object.key,
        rule: describeRuleKey(rule.key),
      });
      return { ok: false, sourceKey: object.key, destination: undefined, error, durationMs: 0 };
    }
    const result = await transferObject(dependencies.transfer, resolved, object, ruleScope);
    if (result.ok) {
      dependencies.metrics.objectSent(labels, {
        sourceBytes: result.sourceBytes,
        sentBytes: result.sentBytes,
        seconds: result.durationMs / 1000,
      });
      logger.info(
        {
          key: object.key,
          destination: result.destination,
          bytes: result.sentBytes,
          ms: Math.round(result.durationMs),
        },
        'object egressed',
      );
      dependencies.events.emit('object_transferred', {
        correlationId: scope.correlationId,
        rule: rule.key,
        sourceBucket: rule.sourceBucket,
        sourceKey: object.key,
        destination: result.destination,
        sourceBytes: result.sourceBytes,
        sentBytes: result.sentBytes,
        durationMs: result.durationMs,
      });
    } else {
      dependencies.metrics.objectFailed(labels, result.durationMs / 1000);
      const reason = describeFailure(result.error);
      logger.error({ key: object.key, destination: result.destination, reason }, 'failed to egress object');
      dependencies.events.emit('object_failed', {
        correlationId: scope.correlationId,
        rule: rule.key,
        sourceBucket: rule.sourceBucket,
        sourceKey: object.key,
        destination: result.destination,
        reason,
      });
    }
    return result;
  };

  // The whole listing first: duplicate destination names must be found before anything of the
  // rule is transferred. Only keys and sizes are kept, a few hundred bytes per object.
  const objects: ListedObject[] = [];
  let listingFailure: string | undefined;
  try {
    for await (const page of listSourceObjects(
      dependencies.transfer.sourceS3,
      rule.sourceBucket,
      resolved.sourcePrefix,
      scope.signal,
    )) {
      logger.debug({ objects: page.length }, 'source page listed');
      for (const object of page) if (isEgressableKey(object.key)) objects.push(object);
    }
  } catch (error) {
    listingFailure = `listing ${s3Url(rule.sourceBucket, resolved.sourcePrefix)} failed: ${describeFailure(error)}`;
    logger.error({ reason: listingFailure }, 'failed to list source objects');
  }
  if (listingFailure === undefined) {
    const duplicates = findDuplicateDestinations(
      planRuleDestinations(
        resolved,
        objects.map((object) => object.key),
      ),
    );
    if (duplicates.length > 0) listingFailure = describeDuplicates(duplicates);
    if (listingFailure !== undefined) {
      logger.error(
        { reason: listingFailure, duplicates: duplicates.slice(0, 20) },
        'duplicate destination names: nothing of this rule is transferred',
      );
    }
  }
  if (listingFailure === undefined) {
    // Back-pressure: at most one window of transfers queued ahead of those running, so a prefix
    // with a million keys never queues a million tasks.
    let previousWindowStart = 0;
    for (let start = 0; start < objects.length; start += TRANSFER_WINDOW) {
      const scheduled = pending.length;
      for (const object of objects.slice(start, start + TRANSFER_WINDOW)) {
        pending.push(dependencies.objectLimiter(() => transferOne(object)));
      }
      await Promise.all(pending.slice(previousWindowStart, scheduled));
      previousWindowStart = scheduled;
    }
  }
  const results = await Promise.all(pending);
  const sent = results.filter((result): result is Extract<ObjectTransferResult, { ok: true }> => result.ok);
  const failedCount = results.length - sent.length;

  let failure = listingFailure;
  if (failure === undefined && failedCount > 0) {
    failure = `${failedCount} of ${results.length} objects failed`;
  }
  if (failure === undefined) {
    failure = await writeCompletionFiles(dependencies, resolved, sent, ruleScope);
  }
  return {
    sent,
    summary: {
      rule: rule.key,
      transferType: rule.transferType,
      sourcePrefix: resolved.sourcePrefix,
      succeeded: failure === undefined,
      objectsSent: sent.length,
      objectsFailed: failedCount,
      failure,
    },
  };
}

/** Writes the control file, then the manifest; returns why either failed, if one did. */
async function writeCompletionFiles(
  dependencies: RuleEgressDependencies,
  resolved: ResolvedRule,
  sent: Extract<ObjectTransferResult, { ok: true }>[],
  scope: TransferScope,
): Promise<string | undefined> {
  const failures: string[] = [];
  const attempt = async (
    kind: 'control' | 'manifest',
    destination: Destination | undefined,
    write: () => Promise<number>,
  ) => {
    if (!destination) return;
    try {
      await write();
      scope.logger.info({ kind, destination, entries: sent.length }, `${kind} file written`);
      dependencies.events.emit('file_written', {
        correlationId: scope.correlationId,
        rule: resolved.rule.key,
        kind,
        destination,
        entries: sent.length,
      });
    } catch (error) {
      const reason = `${kind} file failed: ${describeFailure(error)}`;
      scope.logger.error({ kind, destination, reason }, `failed to egress ${kind} file`);
      failures.push(reason);
    }
  };

  let control: Destination | undefined;
  let manifest: Destination | undefined;
  try {
    control = planControlFile(resolved);
    manifest = planManifest(resolved);
  } catch (error) {
    return describeFailure(error);
  }
  await attempt('control', control, () =>
    // Control files carry no metadata and are never compressed or encrypted (behaviour §6.1).
    dependencies.transfer.sinks.deliver({
      destination: control!,
      roleArn: resolved.rule.roleArn,
      stages: [
        Readable.from([
          Buffer.from(controlFileBody(sent.map((result) => controlFileEntry(result.destination)))),
        ]),
      ],
      metadata: {},
      signal: scope.signal,
    }),
  );
  await attempt('manifest', manifest, () => writeManifest(dependencies, resolved, manifest!, sent, scope));
  return failures.length > 0 ? failures.join('; ') : undefined;
}

async function writeManifest(
  dependencies: RuleEgressDependencies,
  resolved: ResolvedRule,
  destination: Destination,
  sent: Extract<ObjectTransferResult, { ok: true }>[],
  scope: TransferScope,
): Promise<number> {
  // Lines name what was actually delivered — timestamped names, sizes written, no flags — where the
  // original listed the source prefix again with source sizes (behaviour §10.24).
  const lines: ManifestLine[] = sent.map((result) => ({
    name: manifestEntry(result.destination),
    size: result.sentBytes,
  }));
  const gzipped = await gzip(Buffer.from(manifestBody(lines, resolved.stamps.isoDate)));
  const dataProductMetadata = {
    data_product: dataProduct(resolved.sourcePrefix),
    data_product_type: dataProductType(resolved.sourcePrefix),
  };
  const content =
    resolved.rule.manifestEncryption === 'plaintext'
      ? { body: Readable.from([gzipped]), metadata: dataProductMetadata }
      : await dependencies.transfer.crypto.sealManifest({
          gzipped,
          rule: resolved,
          destination,
          correlationId: scope.correlationId,
          signal: scope.signal,
          ssm: () => dependencies.transfer.clients.ssm(resolved.rule.roleArn),
          dataProductMetadata,
        });
  return dependencies.transfer.sinks.deliver({
    destination,
    roleArn: resolved.rule.roleArn,
    stages: [content.body],
    metadata: content.metadata,
    signal: scope.signal,
  });
}
