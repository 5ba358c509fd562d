import path from 'node:path';
import type { DateStamps } from '../egress/plan/dates.ts';
import type { CompressionFormat } from '../egress/rules/rule.ts';
import {
  type Explanation,
  explainKey,
  type InvalidMatch,
  type PlannedDestination,
  type RuleLabel,
  type RuleMatch,
  type SftContext,
} from './explain.ts';
import type { RoutingItemRecord } from './items.ts';
import { type RuleSample, type SampleOptions, sampleForItem } from './samples.ts';
import { type SftDelivery, type SftStep, sftFilesLeftBehind, stubHdfsTargets } from './sft-delivery.ts';

/*
 * What a flag makes arrive where, read off `egress routes explain` (so off the service's own
 * planning): every object each fired rule lists, its control file and manifest, and — for SFT —
 * where the SFT agent takes each file (stub-hdfs through the stub NiFi, or a directory it stays in).
 * Tests upload the objects and the flag and compare with what really arrives; generated Gherkin
 * scenarios state it.
 */

/** Where a delivered file finally rests. */
export type Arrival =
  /** An S3 object: the destination of an S3 rule, or what the stub NiFi stored for an SFT file. */
  | { readonly kind: 's3'; readonly bucket: string; readonly key: string; readonly via: string }
  /** A file under the SFT root that no agent route sends on (path from the root: `/data-egress/x/f`). */
  | { readonly kind: 'sft-file'; readonly path: string }
  /**
   * The agent cannot deliver it (the stub NiFi refuses, the name cannot be sent, a rename fails): the
   * file is moved to its route's error folder, `path` (with a `<name>.error.json` beside it).
   */
  | { readonly kind: 'sft-error'; readonly route: string; readonly path: string; readonly reason: string };

export interface ExpectedDelivery {
  readonly rule: RuleLabel;
  readonly kind: 'data' | 'control' | 'manifest';
  /** The source object (data files). */
  readonly sourceKey?: string | undefined;
  /** Where the egress service writes it. */
  readonly written: PlannedDestination;
  /** Where it rests in the end; for S3 rules the written object itself. */
  readonly arrivals: readonly Arrival[];
  /** Data files: the content is the source's, compressed with this when set. */
  readonly compression?: CompressionFormat | undefined;
  /** Control files: their lines. */
  readonly controlEntries?: readonly string[] | undefined;
}

/** What one flag does, given what is in the source buckets. */
export interface FlagOutcome {
  readonly flagKey: string;
  readonly explanation: Explanation;
  readonly deliveries: readonly ExpectedDelivery[];
  /** Rules whose message is kept for retry (and ends in the DLQ) — their good objects still arrive. */
  readonly failingRules: readonly { readonly rule: RuleLabel; readonly failures: readonly string[] }[];
  /** Invalid items the flag matches: reported, no action. */
  readonly invalidMatches: readonly InvalidMatch[];
}

function sftArrivals(delivery: SftDelivery): Arrival[] {
  const arrivals: Arrival[] = stubHdfsTargets(delivery).map((target) => ({
    kind: 's3',
    bucket: target.bucket,
    key: target.key,
    via: `SFT → ${new URL(target.url).pathname.replace(/^\//, '')}`,
  }));
  for (const file of sftFilesLeftBehind(delivery)) arrivals.push({ kind: 'sft-file', path: file });
  const failures = (tree: SftDelivery): Arrival[] =>
    tree.steps.flatMap((step: SftStep): Arrival[] => {
      if (step.action === 'writeFile') return failures(step.next);
      const reason =
        step.action === 'renameFile'
          ? 'error' in step
            ? step.error
            : undefined
          : 'refused' in step.stubNifi
            ? `stub NiFi refuses it: ${step.stubNifi.refused}`
            : 'unsendable' in step.stubNifi
              ? step.stubNifi.unsendable
              : undefined;
      return reason && tree.route
        ? [
            {
              kind: 'sft-error',
              route: tree.route.name,
              path: path.posix.join(tree.route.errorFolder, tree.fileName),
              reason,
            },
          ]
        : [];
    });
  arrivals.push(...failures(delivery));
  return arrivals;
}

/** Where a written file rests: itself (S3), or where the SFT agent takes it. */
export function arrivalsOf(written: PlannedDestination): Arrival[] {
  if (written.transferType === 'S3')
    return [{ kind: 's3', bucket: written.bucket, key: written.key, via: 'S3' }];
  if (!written.delivery) return [{ kind: 'sft-file', path: written.path }];
  return sftArrivals(written.delivery);
}

function deliveriesOf(match: RuleMatch): ExpectedDelivery[] {
  const deliveries: ExpectedDelivery[] = [];
  for (const object of match.listed ?? []) {
    if (!object.destination) continue;
    deliveries.push({
      rule: match.rule,
      kind: 'data',
      sourceKey: object.sourceKey,
      written: object.destination,
      arrivals: arrivalsOf(object.destination),
      compression: match.compression,
    });
  }
  // As in the service: a rule that fails writes no control file and no manifest.
  if (match.outcome === 'completes') {
    if (match.controlFile?.destination) {
      deliveries.push({
        rule: match.rule,
        kind: 'control',
        written: match.controlFile.destination,
        arrivals: arrivalsOf(match.controlFile.destination),
        controlEntries: match.controlEntries,
      });
    }
    if (match.manifest?.destination) {
      deliveries.push({
        rule: match.rule,
        kind: 'manifest',
        written: match.manifest.destination,
        arrivals: arrivalsOf(match.manifest.destination),
      });
    }
  }
  return deliveries;
}

/**
 * What arrives where when `flagKey` is uploaded, with `objects` in the source buckets (the flag
 * itself need not be among them): every rule the flag fires lists its prefix in its own bucket.
 */
export function expectedDeliveries(
  records: readonly RoutingItemRecord[],
  flagKey: string,
  objects: readonly { readonly bucket: string; readonly key: string }[],
  stamps: DateStamps,
  sft: SftContext | undefined,
): FlagOutcome {
  const explanation = explainKey(records, flagKey, { stamps, sft, objects });
  return {
    flagKey,
    explanation,
    deliveries: explanation.matches.flatMap(deliveriesOf),
    failingRules: explanation.matches
      .filter((match) => match.outcome === 'fails')
      .map((match) => ({ rule: match.rule, failures: match.failures })),
    invalidMatches: explanation.invalidMatches,
  };
}

/**
 * One rule on its own: its sample (a data object under its prefix and a flag that fires it) and
 * what arrives where when both are uploaded and only this rule is in the table. `undefined` for an
 * item without a string `source_prefix` and `source_bucket` (nothing to sample).
 */
export function expectedDeliveriesForRule(
  record: RoutingItemRecord,
  stamps: DateStamps,
  sft: SftContext | undefined,
  options: SampleOptions = {},
): { readonly sample: RuleSample; readonly outcome: FlagOutcome } | undefined {
  const sample = sampleForItem(record.item, stamps, options);
  if (!sample) return undefined;
  const objects = [{ bucket: sample.bucket, key: sample.dataKey }];
  return { sample, outcome: expectedDeliveries([record], sample.flagKey, objects, stamps, sft) };
}
