import { createHash } from 'node:crypto';
import type { DateStamps } from '../../egress/plan/dates.ts';
import { describeRuleKey } from '../../egress/rules/rule.ts';
import type { RoutingItemRecord } from '../items.ts';
import { type RuleSample, sampleForItem } from '../samples.ts';

/*
 * The sample objects of a whole rule set, one per rule: what `egress routes scenarios` writes into a
 * generated feature and what its steps publish at run time. Both sides call these functions, so a
 * rule that has not changed since the feature was generated gets the very sample the feature names.
 */

/** How a sample is stored: HTME-encrypted (with the DKS envelope in its metadata) or as it is. */
export type SampleEncryption = 'htme' | 'plain';

/** One rule's sample in a rule set. */
export interface RuleSetSample extends RuleSample {
  /** The rule's position in its file (0-based). */
  readonly index: number;
  readonly record: RoutingItemRecord;
  readonly encryption: SampleEncryption;
  readonly fileName: string;
}

/**
 * What a rule's sample must be to show what the rule does: an HTME object for a rule that
 * decrypts, or re-wraps for S3 (the only objects those columns act on); a plain file otherwise.
 */
export function sampleEncryption(item: Readonly<Record<string, unknown>>): SampleEncryption {
  const s3 = typeof item.transfer_type === 'string' && item.transfer_type.toUpperCase() === 'S3';
  return item.decrypt === true || (s3 && item.rewrap_datakey === true) ? 'htme' : 'plain';
}

/**
 * A sample's file name: the pipeline name made safe (`cbol`, `ris-sft`) and six hex digits of the
 * rule's key, so names stay the same when rules are added or reordered, and no two rules share one.
 */
export function sampleFileName(item: Readonly<Record<string, unknown>>): string {
  const pipeline = typeof item.pipeline_name === 'string' ? item.pipeline_name : '';
  const slug =
    pipeline
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 24)
      .replace(/-+$/, '') || 'rule';
  const hash = createHash('sha256')
    .update(describeRuleKey({ sourcePrefix: item.source_prefix, pipelineName: item.pipeline_name }))
    .digest('hex')
    .slice(0, 6);
  return `${slug}-${hash}.csv${sampleEncryption(item) === 'htme' ? '.enc' : ''}`;
}

/** The DynamoDB key of an item, when both key columns are strings (a table can store it). */
export function storableKey(
  item: Readonly<Record<string, unknown>>,
): { sourcePrefix: string; pipelineName: string } | undefined {
  const { source_prefix: sourcePrefix, pipeline_name: pipelineName } = item;
  return typeof sourcePrefix === 'string' && typeof pipelineName === 'string'
    ? { sourcePrefix, pipelineName }
    : undefined;
}

/**
 * The records a table ends up holding when every item is put in file order: items whose key
 * columns are not strings cannot be stored, and of two items with one key only the later stays.
 * `shadowed` maps each dropped item's index to why.
 */
export function storedRecords(records: readonly RoutingItemRecord[]): {
  readonly stored: readonly { readonly index: number; readonly record: RoutingItemRecord }[];
  readonly dropped: ReadonlyMap<number, string>;
} {
  const lastByKey = new Map<string, number>();
  const dropped = new Map<number, string>();
  records.forEach((record, index) => {
    const key = storableKey(record.item);
    if (!key) {
      dropped.set(
        index,
        'its source_prefix and pipeline_name are not both strings, so no table can store it',
      );
      return;
    }
    lastByKey.set(describeRuleKey(key), index);
  });
  const stored: { index: number; record: RoutingItemRecord }[] = [];
  records.forEach((record, index) => {
    const key = storableKey(record.item);
    if (!key) return;
    const last = lastByKey.get(describeRuleKey(key))!;
    if (last === index) stored.push({ index, record });
    else dropped.set(index, `${records[last]!.label} has the same key and replaces it in the table`);
  });
  return { stored, dropped };
}

/** Every stored rule's sample on the day of `stamps` (rules without a string source bucket have none). */
export function ruleSetSamples(records: readonly RoutingItemRecord[], stamps: DateStamps): RuleSetSample[] {
  return storedRecords(records).stored.flatMap(({ index, record }) => {
    const fileName = sampleFileName(record.item);
    const sample = sampleForItem(record.item, stamps, { fileName });
    if (!sample) return [];
    return [{ ...sample, index, record, encryption: sampleEncryption(record.item), fileName }];
  });
}

/** The flags to upload: one per distinct flag key and bucket, in sample order. */
export function sampleFlags(
  samples: readonly RuleSetSample[],
): { readonly bucket: string; readonly key: string }[] {
  const flags = new Map<string, { bucket: string; key: string }>();
  for (const sample of samples) {
    flags.set(`${sample.bucket}\u0000${sample.flagKey}`, { bucket: sample.bucket, key: sample.flagKey });
  }
  return [...flags.values()];
}
