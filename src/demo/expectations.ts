import type { DateStamps } from '../egress/plan/dates.ts';
import { explainKey, type SftContext } from '../rule-tools/explain.ts';
import type { RoutingItemRecord } from '../rule-tools/items.ts';
import { stubHdfsTargets } from '../rule-tools/sft-delivery.ts';
import type { Published } from './publish.ts';

/**
 * Where a published object must end up, as `egress routes explain` predicts it from the rules: the
 * demo waits for exactly these objects, so it also checks that the explanation tells the truth.
 */
export interface ExpectedDelivery {
  readonly recipient: string;
  readonly pipeline: string;
  readonly transferType: 'S3' | 'SFT';
  readonly source: Published;
  /** The destination bucket (S3) or the stub NiFi's stub-hdfs bucket (SFT). */
  readonly bucket: string;
  readonly key: string;
  /** How it travels, for the summary: `S3`, or `SFT → <agent route>`. */
  readonly via: string;
  /** What the content must be: the plaintext (HTME decrypted, or a plain file copied), or just the size. */
  readonly check: 'decrypted' | 'same bytes' | 'size';
}

/** A published object no rule sends anywhere: the demo's sample data and the rules disagree. */
export class NoRouteError extends Error {
  override readonly name = 'NoRouteError';
}

export function expectedDeliveries(
  records: readonly RoutingItemRecord[],
  published: readonly Published[],
  stamps: DateStamps,
  sft: SftContext,
): ExpectedDelivery[] {
  const expected: ExpectedDelivery[] = [];
  for (const source of published) {
    const explanation = explainKey(records, source.key, { bucket: source.bucket, stamps, sft });
    if (explanation.matches.length === 0) {
      throw new NoRouteError(
        `no routing rule sends s3://${source.bucket}/${source.key}: ${explanation.summary}`,
      );
    }
    for (const match of explanation.matches) {
      const destination = match.object.destination;
      const check =
        source.sha256 === undefined ? 'size' : source.htme && match.decrypt ? 'decrypted' : 'same bytes';
      const common = {
        recipient: match.rule.recipient,
        pipeline: match.rule.pipelineName,
        transferType: match.rule.transferType,
        source,
        check,
      } as const;
      if (!destination)
        throw new NoRouteError(
          `${match.rule.pipelineName} cannot write ${source.key}: ${match.object.error}`,
        );
      if (destination.transferType === 'S3') {
        expected.push({ ...common, bucket: destination.bucket, key: destination.key, via: 'S3' });
        continue;
      }
      const delivery = destination.delivery;
      const targets = delivery ? stubHdfsTargets(delivery) : [];
      if (!delivery || targets.length === 0) {
        throw new NoRouteError(
          `${match.rule.pipelineName} writes ${destination.path}, but no SFT agent route sends it to the stub NiFi`,
        );
      }
      for (const target of targets) {
        const route = new URL(target.url).pathname.replace(/^\//, '');
        expected.push({ ...common, bucket: target.bucket, key: target.key, via: `SFT → ${route}` });
      }
    }
  }
  return expected;
}
