import { planObjectHandling } from '../../egress/crypto/index.ts';
import type { DateStamps } from '../../egress/plan/dates.ts';
import { manifestEntry } from '../../egress/plan/destinations.ts';
import { dataProduct, dataProductType } from '../../egress/plan/naming.ts';
import { resolveSourcePrefix } from '../../egress/rules/matching.ts';
import {
  type CompressionFormat,
  describeRuleKey,
  type EgressRule,
  type ManifestEncryption,
} from '../../egress/rules/rule.ts';
import { type Arrival, expectedDeliveries, type FlagOutcome } from '../deliveries.ts';
import type { PlannedDestination, SftContext } from '../explain.ts';
import { checkItems, type RoutingItemRecord } from '../items.ts';
import { type FieldProblem, splitReason } from '../validate.ts';
import { type RuleSetSample, ruleSetSamples, sampleFlags, storedRecords } from './samples.ts';

/*
 * What every rule of a rule set must deliver when each rule's sample and the flags that fire them
 * are uploaded together — read off `expectedDeliveries` (so off `egress routes explain`, so off the
 * service's own planning), with the content decided by the service's `planObjectHandling` for the
 * sample's kind. Rules that share a prefix fire together and list each other's samples: every flag
 * is explained over every sample, and each rule collects what it sends on any flag.
 */

/** What a delivered data file holds, relative to the sample's plaintext. */
export interface DataContent {
  /** The service's handling of the sample (`planObjectHandling`). */
  readonly handling: 'plain' | 'decrypt' | 'pass-through' | 'rewrap';
  /** The HTME envelope travels as S3 metadata (pass-through and re-wrap to S3; never for SFT). */
  readonly keyMetadata: boolean;
  /** Re-wrap: the SSM parameter holding the recipient's public key. */
  readonly rewrapParameter?: string | undefined;
  readonly compression?: CompressionFormat | undefined;
}

/** What a manifest holds. */
export interface ManifestContent {
  readonly encryption: ManifestEncryption;
  /** `rewrapped`: the SSM parameter of the recipient's key. */
  readonly rewrapParameter?: string | undefined;
  /** S3 only: the `data_product` / `data_product_type` metadata. SFT files carry no metadata. */
  readonly dataProduct?: { readonly name: string; readonly type: string } | undefined;
  /** The names its lines give (`manifestEntry`); each line is `<name>  <bytes> <yyyy-MM-dd>`. */
  readonly entries: readonly string[];
}

/** One thing a rule's scenario checks. */
export type DeliveryRow =
  | {
      readonly kind: 'data';
      readonly sourceKey: string;
      readonly written: PlannedDestination;
      readonly arrival: Arrival;
      readonly content: DataContent;
    }
  /** A listed object the rule cannot send: the object fails with this reason; nothing arrives. */
  | { readonly kind: 'data-fails'; readonly sourceKey: string; readonly reason: string }
  | {
      readonly kind: 'control';
      readonly written: PlannedDestination;
      readonly arrival: Arrival;
      readonly entries: readonly string[];
    }
  | {
      readonly kind: 'manifest';
      readonly written: PlannedDestination;
      readonly arrival: Arrival;
      readonly manifest: ManifestContent;
    };

/** The scenario of one item of the rule set. */
export type RuleScenario =
  | {
      readonly kind: 'delivers';
      readonly index: number;
      readonly record: RoutingItemRecord;
      readonly rule: EgressRule;
      readonly sample: RuleSetSample;
      readonly rows: readonly DeliveryRow[];
      /** `fails`: an object cannot be sent, so its flag's message is kept for retry. */
      readonly outcome: 'completes' | 'fails';
    }
  | {
      readonly kind: 'invalid';
      readonly index: number;
      readonly record: RoutingItemRecord;
      readonly problems: readonly FieldProblem[];
      /** Its sample, when it has one: the flag is uploaded and must fire no action of this item. */
      readonly sample?: RuleSetSample | undefined;
      /** How the service ends the sample flag's message (other rules may match it). */
      readonly flagVerdict?: FlagVerdict | undefined;
    }
  /** Nothing can be checked for it (a table cannot store it, or another item replaces it). */
  | {
      readonly kind: 'untestable';
      readonly index: number;
      readonly record: RoutingItemRecord;
      readonly reason: string;
    };

/** How the service ends a flag's message: the `message_processed` reason. */
export type FlagVerdict = 'completed' | 'failed' | 'no-match';

export interface RuleSetPlan {
  readonly stamps: DateStamps;
  readonly samples: readonly RuleSetSample[];
  readonly flags: readonly { readonly bucket: string; readonly key: string }[];
  /** By flag key. */
  readonly verdicts: ReadonlyMap<string, FlagVerdict>;
  /** One per item, in file order. */
  readonly scenarios: readonly RuleScenario[];
}

/** The rule's treatment of its sample's kind, or why the sample fails. */
function dataContent(
  rule: EgressRule,
  sample: RuleSetSample | undefined,
  compression: CompressionFormat | undefined,
): DataContent | { refused: string } {
  const metadata =
    sample?.encryption === 'htme' ? { datakeyencryptionkeyid: 'k', ciphertext: 'c', iv: 'i' } : {};
  const handling = planObjectHandling(metadata, rule);
  switch (handling.kind) {
    case 'refused':
      return { refused: handling.reason };
    case 'cse':
    case 'plain':
      return { handling: 'plain', keyMetadata: false, compression };
    case 'htme':
      return {
        handling: handling.action,
        keyMetadata: rule.transferType === 'S3' && handling.action !== 'decrypt',
        rewrapParameter: handling.action === 'rewrap' ? rule.encryptingKeySsmParameterName : undefined,
        compression,
      };
  }
}

function manifestContent(rule: EgressRule, stamps: DateStamps, entries: readonly string[]): ManifestContent {
  const sourcePrefix = resolveSourcePrefix(rule.key.sourcePrefix, stamps);
  return {
    encryption: rule.manifestEncryption,
    rewrapParameter: rule.manifestEncryption === 'rewrapped' ? rule.encryptingKeySsmParameterName : undefined,
    dataProduct:
      rule.transferType === 'S3'
        ? { name: dataProduct(sourcePrefix), type: dataProductType(sourcePrefix) }
        : undefined,
    entries,
  };
}

function sameRow(a: DeliveryRow, b: DeliveryRow): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Plans the scenarios of a rule set on the day of `stamps`: each stored rule's sample, the flags,
 * and per item what must arrive where (or that it is reported invalid).
 */
export function planRuleSet(
  records: readonly RoutingItemRecord[],
  stamps: DateStamps,
  sft: SftContext,
): RuleSetPlan {
  const { stored, dropped } = storedRecords(records);
  const storedList = stored.map((entry) => entry.record);
  const samples = ruleSetSamples(records, stamps);
  const sampleByKey = new Map(samples.map((sample) => [`${sample.bucket}\u0000${sample.dataKey}`, sample]));
  const sampleByIndex = new Map(samples.map((sample) => [sample.index, sample]));
  const flags = sampleFlags(samples);
  const objects = samples.map((sample) => ({ bucket: sample.bucket, key: sample.dataKey }));
  const checked = checkItems(storedList);
  const rules = new Map(
    checked.flatMap((entry) => (entry.ok ? [[describeRuleKey(entry.rule.key), entry.rule] as const] : [])),
  );

  // Every flag over every sample; each rule collects its rows over all the flags that fire it.
  const rowsByRule = new Map<string, DeliveryRow[]>();
  const failingRules = new Set<string>();
  const outcomes = new Map<string, FlagOutcome>();
  for (const flag of flags) {
    outcomes.set(flag.key, expectedDeliveries(storedList, flag.key, objects, stamps, sft));
  }
  const add = (ruleKey: string, row: DeliveryRow) => {
    const rows = rowsByRule.get(ruleKey) ?? [];
    if (!rows.some((existing) => sameRow(existing, row))) rows.push(row);
    rowsByRule.set(ruleKey, rows);
  };
  for (const outcome of outcomes.values()) {
    for (const match of outcome.explanation.matches) {
      const ruleKey = describeRuleKey(match.rule);
      const rule = rules.get(ruleKey)!;
      // Objects the naming refuses (planned by the service's planRule).
      for (const object of match.listed ?? []) {
        if (object.action === 'refuse' || object.action === 'withhold') {
          add(ruleKey, { kind: 'data-fails', sourceKey: object.sourceKey, reason: object.error ?? '' });
          failingRules.add(ruleKey);
        }
      }
      if (match.outcome === 'fails') failingRules.add(ruleKey);
      // Objects whose content the service refuses (planObjectHandling), such as an HTME object
      // under a re-wrapping rule without its key parameter.
      for (const delivery of outcome.deliveries) {
        if (describeRuleKey(delivery.rule) !== ruleKey || delivery.kind !== 'data') continue;
        const sample = sampleByKey.get(`${rule.sourceBucket}\u0000${delivery.sourceKey}`);
        const content = dataContent(rule, sample, delivery.compression);
        if ('refused' in content) {
          add(ruleKey, { kind: 'data-fails', sourceKey: delivery.sourceKey!, reason: content.refused });
          failingRules.add(ruleKey);
        }
      }
    }
  }
  for (const outcome of outcomes.values()) {
    for (const delivery of outcome.deliveries) {
      const ruleKey = describeRuleKey(delivery.rule);
      const rule = rules.get(ruleKey)!;
      if (delivery.kind === 'data') {
        const sample = sampleByKey.get(`${rule.sourceBucket}\u0000${delivery.sourceKey}`);
        const content = dataContent(rule, sample, delivery.compression);
        if ('refused' in content) continue;
        for (const arrival of delivery.arrivals) {
          add(ruleKey, {
            kind: 'data',
            sourceKey: delivery.sourceKey!,
            written: delivery.written,
            arrival,
            content,
          });
        }
        continue;
      }
      // As the service does: a rule with a failing object writes no control file or manifest.
      if (failingRules.has(ruleKey)) continue;
      for (const arrival of delivery.arrivals) {
        if (delivery.kind === 'control') {
          add(ruleKey, {
            kind: 'control',
            written: delivery.written,
            arrival,
            entries: delivery.controlEntries ?? [],
          });
        } else {
          const entries = outcome.explanation.matches
            .filter((match) => describeRuleKey(match.rule) === ruleKey)
            .flatMap((match) =>
              (match.listed ?? []).flatMap((object) =>
                object.destination ? [manifestEntry(object.destination)] : [],
              ),
            );
          add(ruleKey, {
            kind: 'manifest',
            written: delivery.written,
            arrival,
            manifest: manifestContent(rule, stamps, entries),
          });
        }
      }
    }
  }

  const verdicts = new Map<string, FlagVerdict>();
  for (const [flagKey, outcome] of outcomes) {
    const fired = outcome.explanation.matches.map((match) => describeRuleKey(match.rule));
    verdicts.set(
      flagKey,
      fired.length === 0 ? 'no-match' : fired.some((key) => failingRules.has(key)) ? 'failed' : 'completed',
    );
  }

  const scenarios: RuleScenario[] = records.map((record, index): RuleScenario => {
    const why = dropped.get(index);
    if (why !== undefined) return { kind: 'untestable', index, record, reason: why };
    const entry = checked.find((candidate) => candidate.record === record)!;
    const sample = sampleByIndex.get(index);
    if (!entry.ok) {
      return {
        kind: 'invalid',
        index,
        record,
        problems: splitReason(entry.invalid.reason),
        sample,
        flagVerdict: sample ? verdicts.get(sample.flagKey) : undefined,
      };
    }
    if (!sample) {
      return {
        kind: 'untestable',
        index,
        record,
        reason: 'it names no source bucket to publish a sample to',
      };
    }
    const ruleKey = describeRuleKey(entry.rule.key);
    return {
      kind: 'delivers',
      index,
      record,
      rule: entry.rule,
      sample,
      rows: sortRows(rowsByRule.get(ruleKey) ?? []),
      outcome: failingRules.has(ruleKey) ? 'fails' : 'completes',
    };
  });
  return { stamps, samples, flags, verdicts, scenarios };
}

/** Data rows first (by source key), then the control file, then the manifest. */
function sortRows(rows: readonly DeliveryRow[]): DeliveryRow[] {
  const order = { data: 0, 'data-fails': 0, control: 1, manifest: 2 } as const;
  const source = (row: DeliveryRow) => ('sourceKey' in row ? row.sourceKey : '');
  return [...rows].sort(
    (a, b) => order[a.kind] - order[b.kind] || (source(a) < source(b) ? -1 : source(a) > source(b) ? 1 : 0),
  );
}
