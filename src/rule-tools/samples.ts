import type { DateStamps } from '../egress/plan/dates.ts';
import { FLAG_SUFFIX } from '../egress/plan/naming.ts';
import { resolveSourcePrefix } from '../egress/rules/matching.ts';

/*
 * Sample objects for a routing rule: a concrete data key under the prefix the rule lists and a flag
 * that fires it, for today's date. `egress routes explain` shows them as its example, the routing
 * map links each rule to its example, and tests (and generated scenarios) upload them.
 */

/**
 * Puts `name` under a resolved source prefix the way producers do: a prefix that ends a folder
 * (`…/2026-11-24/`) or a file-name stem (`…/incremental/db.core.claimant-`, ending `-`, `_` or `.`)
 * takes the name directly; any other prefix (`today/2026-11-24`, `rtg-queries`) is a folder.
 */
export function keyUnderPrefix(resolvedPrefix: string, name: string): string {
  if (resolvedPrefix === '' || /[/\-_.]$/.test(resolvedPrefix)) return `${resolvedPrefix}${name}`;
  return `${resolvedPrefix}/${name}`;
}

/** A flag key that fires a rule whose resolved prefix this is. */
export function sampleFlagKey(resolvedPrefix: string): string {
  return keyUnderPrefix(resolvedPrefix, FLAG_SUFFIX);
}

/** What to call a sample data object. */
export interface SampleOptions {
  /** The whole file name (default: `<stem>.csv`, or `<stem>.csv.enc` for a rule that decrypts). */
  fileName?: string | undefined;
  /** The name's stem, to tell several rules' samples apart. @defaultValue `sample` */
  stem?: string | undefined;
}

/** A rule's sample: where to put a data object and which flag fires the rule. */
export interface RuleSample {
  /** The rule's source bucket. */
  readonly bucket: string;
  /** The prefix the rule lists on the processing day (`$TODAYS_DATE` expanded, trailing `*` removed). */
  readonly prefix: string;
  readonly dataKey: string;
  readonly flagKey: string;
}

/** The parts of a routing item a sample needs (an `EgressRule`'s, or a raw item's). */
export interface SampleSource {
  readonly sourcePrefix: string;
  readonly sourceBucket: string;
  readonly decrypt: boolean;
}

/** The sample of a rule on the day of `stamps`. */
export function sampleFor(source: SampleSource, stamps: DateStamps, options: SampleOptions = {}): RuleSample {
  const prefix = resolveSourcePrefix(source.sourcePrefix, stamps);
  const fileName = options.fileName ?? `${options.stem ?? 'sample'}.csv${source.decrypt ? '.enc' : ''}`;
  return {
    bucket: source.sourceBucket,
    prefix,
    dataKey: keyUnderPrefix(prefix, fileName),
    flagKey: sampleFlagKey(prefix),
  };
}

/**
 * The sample of a routing item as stored — also one the service rejects, as long as its
 * `source_prefix` and `source_bucket` are strings (`undefined` otherwise: it has no place to sample).
 */
export function sampleForItem(
  item: Readonly<Record<string, unknown>>,
  stamps: DateStamps,
  options: SampleOptions = {},
): RuleSample | undefined {
  const { source_prefix: sourcePrefix, source_bucket: sourceBucket } = item;
  if (typeof sourcePrefix !== 'string' || typeof sourceBucket !== 'string') return undefined;
  return sampleFor({ sourcePrefix, sourceBucket, decrypt: item.decrypt === true }, stamps, options);
}
