import path from 'node:path';
import { type ObjectHandling, planObjectHandling } from '../egress/crypto/index.ts';
import { UnsafeDestinationError } from '../egress/errors.ts';
import type { DateStamps } from '../egress/plan/dates.ts';
import type { Destination, DestinationLocation } from '../egress/plan/destinations.ts';
import { s3Url } from '../egress/plan/locations.ts';
import { basename, isEgressableKey, isFlagKey, type NamingStep } from '../egress/plan/naming.ts';
import { expandSourcePrefix, PLACEHOLDERS } from '../egress/plan/placeholders.ts';
import {
  type ListedObjectDecision,
  listingIncludes,
  planRule,
  type RulePlan,
} from '../egress/plan/rule-plan.ts';
import { resolveSftLocation } from '../egress/plan/sft-paths.ts';
import { matchFlags, type ResolvedRule, resolveSourcePrefix } from '../egress/rules/matching.ts';
import type { CompressionFormat, EgressRule, InvalidRule } from '../egress/rules/rule.ts';
import type { SftAgentConfig } from '../sft/index.ts';
import { type CheckedItem, checkItems, type RoutingItemRecord } from './items.ts';
import { keyUnderPrefix, sampleFlagKey } from './samples.ts';
import { type SftDelivery, traceSftDelivery } from './sft-delivery.ts';

/*
 * `egress routes explain`: a dry run of the egress service's routing for one S3 key. Every decision
 * is taken by the service's own functions — `matchFlags` (which rules a flag fires, invalid items),
 * `planRule`/`planListedObject` (what is listed, skipped, sent where, under which name),
 * `planObjectHandling` (decrypt, pass-through, re-wrap, refuse) and the SFT agent's routing — and
 * this module only arranges what they return. Nothing is listed or read: where the service would
 * list a prefix, the caller may pass the bucket contents (`objects`), otherwise an example stands in.
 */

/** Options of {@link explainKey}. */
export interface ExplainOptions {
  /** The bucket the key is in, when known. Flags: informational (the event's bucket is ignored). */
  bucket?: string | undefined;
  /** The processing day (one "now", as the service takes one per message). */
  stamps: DateStamps;
  /** The SFT agent's routes and the stub NiFi's bucket, to follow SFT files to stub-hdfs. */
  sft?: SftContext | undefined;
  /** File name of the example object shown for a flag (default `example.csv.enc` / `example.csv`). */
  exampleName?: string | undefined;
  /**
   * The objects in the source buckets, in any order. With them a flag's explanation plans every
   * object each rule would list (`RuleMatch.listed`), as the service would when the flag arrives.
   */
  objects?: readonly { readonly bucket: string; readonly key: string }[] | undefined;
}

export interface SftContext {
  readonly config: Pick<SftAgentConfig, 'routes'>;
  /** The stub NiFi's bucket (`stub-hdfs-local`). */
  readonly nifiBucket: string;
  /** The SFT root of a running sandbox; without it paths are shown from the root (`/data-egress/sas/x`). */
  readonly sftRoot?: string | undefined;
}

/** A rule as named to humans. */
export interface RuleLabel {
  readonly pipelineName: string;
  readonly sourcePrefix: string;
  readonly recipient: string;
  readonly transferType: 'S3' | 'SFT';
  readonly resource?: string | undefined;
}

/** How `source_prefix` became the prefix that was tested (behaviour §2.2). */
export interface PrefixExplanation {
  /** As stored. */
  readonly pattern: string;
  /** After every `$TODAYS_DATE` → `yyyy-MM-dd`. */
  readonly expanded: string;
  /** After one trailing `*` was removed: what is tested and listed. */
  readonly resolved: string;
  readonly dateExpanded: boolean;
  readonly starRemoved: boolean;
}

/** Where one file goes. */
export type PlannedDestination =
  | { readonly transferType: 'S3'; readonly bucket: string; readonly key: string; readonly url: string }
  | {
      readonly transferType: 'SFT';
      /** The rule's directory (`destination_prefix`, dates expanded). */
      readonly directory: string;
      readonly fileName: string;
      /** The file's path: under the sandbox's SFT root when known, else from the root (`/data-egress/sas/x`). */
      readonly path: string;
      /** The SFT agent's handling of the file (when routes are known). */
      readonly delivery?: SftDelivery | undefined;
    };

/** Where a rule puts every file. */
export type PlannedLocation =
  | (Extract<DestinationLocation, { transferType: 'S3' }> & { readonly url: string })
  | (Extract<DestinationLocation, { transferType: 'SFT' }> & { readonly path: string });

export interface PlannedFile {
  readonly name: string;
  readonly destination?: PlannedDestination | undefined;
  /** Why the file cannot be written (a name that would leave the SFT root, for instance). */
  readonly error?: string | undefined;
}

export interface ObjectPlan extends PlannedFile {
  readonly sourceBucket: string;
  readonly sourceKey: string;
  /** True when the object is made up (a flag was explained, so nothing concrete is known). */
  readonly example: boolean;
  /** The service's decision: send, skip (flags, directory markers) or refuse. */
  readonly action: ListedObjectDecision['action'];
  /** How the name was made, step by step (sent objects). */
  readonly naming: readonly NamingStep[];
}

/** How the rule treats each kind of source object: the service's `planObjectHandling`. */
export interface ContentPlan {
  readonly plain: ObjectHandling;
  /** Client-side encrypted (`x-amz-matdesc`). */
  readonly cse: ObjectHandling;
  /** HTME: all of `datakeyencryptionkeyid`, `ciphertext`, `iv`. */
  readonly htme: ObjectHandling;
  /** HTME metadata without its `iv` (some but not all of the three). */
  readonly htmeIncomplete: ObjectHandling;
  /** Compression of the content, when the rule compresses. */
  readonly compression?: CompressionFormat | undefined;
  /** S3 writes go through `sts:AssumeRole` on this role (session `data-egress`). */
  readonly roleArn?: string | undefined;
  readonly manifestEncryption?: EgressRule['manifestEncryption'] | undefined;
  /** The SSM parameter of the re-wrap key, when the rule re-wraps. */
  readonly rewrapKeyParameter?: string | undefined;
}

/** One rule that a flag key fires, or that would send a data key. */
export interface RuleMatch {
  readonly rule: RuleLabel;
  readonly prefix: PrefixExplanation;
  /** What the service would list when the rule fires. */
  readonly listing: { readonly bucket: string; readonly prefix: string; readonly note?: string | undefined };
  /** Data keys: a flag key that would make the rule send this object. */
  readonly triggeredBy?: readonly string[] | undefined;
  /** Where the rule puts every file. */
  readonly location: PlannedLocation;
  /** The example object (flags) or this key (data keys). */
  readonly object: ObjectPlan;
  /** With `objects`: every object the listing returns, in listing order, each planned. */
  readonly listed?: readonly ObjectPlan[] | undefined;
  readonly content: ContentPlan;
  readonly controlFile?: PlannedFile | undefined;
  readonly manifest?: PlannedFile | undefined;
  /** With `objects`: the control file's lines. */
  readonly controlEntries?: readonly string[] | undefined;
  /**
   * `fails` when an object or the control file or manifest cannot be written: the message is kept
   * for retry and no control file or manifest is written. With `objects`, over the listed objects;
   * otherwise over the example and the completion files.
   */
  readonly outcome: RulePlan['outcome'];
  readonly failures: readonly string[];
  readonly roleArn?: string | undefined;
  /** The rule's `decrypt`: HTME objects arrive decrypted. */
  readonly decrypt: boolean;
  /** The compression applied, when the rule compresses. */
  readonly compression?: CompressionFormat | undefined;
}

/** A rule that did not match, but nearly did. */
export interface NearMiss {
  readonly rule: RuleLabel;
  readonly resolvedPrefix: string;
  readonly reason: string;
  /** A processing day on which the key would match (`--date`), for dated rules. */
  readonly wouldMatchOn?: string | undefined;
}

/** An item the service rejects whose `source_prefix` matches the key: it takes no action. */
export interface InvalidMatch {
  readonly pipelineName: unknown;
  readonly sourcePrefix: unknown;
  readonly resource?: string | undefined;
  readonly label: string;
  readonly reason: string;
}

export interface Explanation {
  readonly key: string;
  readonly bucket?: string | undefined;
  /** A `…pipeline_success.flag` key, a data key, or a directory marker (never sent). */
  readonly kind: 'flag' | 'data' | 'directory-marker';
  readonly date: DateStamps;
  readonly itemsConsidered: number;
  readonly invalidItems: number;
  readonly matches: readonly RuleMatch[];
  readonly invalidMatches: readonly InvalidMatch[];
  readonly nearMisses: readonly NearMiss[];
  /** One sentence. */
  readonly summary: string;
}

function labelOf(rule: EgressRule, record: RoutingItemRecord): RuleLabel {
  return {
    pipelineName: rule.key.pipelineName,
    sourcePrefix: rule.key.sourcePrefix,
    recipient: rule.recipientName,
    transferType: rule.transferType,
    resource: record.resource,
  };
}

export function explainPrefix(pattern: string, stamps: DateStamps): PrefixExplanation {
  const expanded = expandSourcePrefix(pattern, stamps);
  const resolved = resolveSourcePrefix(pattern, stamps);
  return {
    pattern,
    expanded,
    resolved,
    dateExpanded: expanded !== pattern,
    starRemoved: resolved !== expanded,
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * For a dated rule that did not match: the day on which it would have. `$TODAYS_DATE` stands
 * for any `yyyy-MM-dd`; the key must carry the same date wherever the pattern has the placeholder.
 */
function matchingDay(pattern: string, key: string): string | undefined {
  if (!pattern.includes(PLACEHOLDERS.todaysDate)) return undefined;
  const body = pattern.endsWith('*') ? pattern.slice(0, -1) : pattern;
  const parts = body.split(PLACEHOLDERS.todaysDate).map(escapeRegExp);
  const match = new RegExp(`^${parts.join('(\\d{4}-\\d{2}-\\d{2})')}`).exec(key);
  if (!match) return undefined;
  const days = new Set(match.slice(1));
  return days.size === 1 ? [...days][0] : undefined;
}

/**
 * The path of an SFT file or directory as the service's sink maps it (`resolveSftLocation`): under
 * the sandbox's SFT root when known, else from the root (`/data-egress/sas/x.csv`).
 */
function sftPath(directory: string, fileName: string | undefined, sft: SftContext | undefined): string {
  const root = sft?.sftRoot ?? path.resolve('/');
  try {
    const location = resolveSftLocation(root, directory, fileName ?? 'file');
    return fileName === undefined ? location.directory : location.file;
  } catch (error) {
    if (error instanceof UnsafeDestinationError) return `${directory} (refused: ${error.message})`;
    throw error;
  }
}

function plannedDestination(destination: Destination, sft: SftContext | undefined): PlannedDestination {
  if (destination.transferType === 'S3') {
    return { ...destination, url: s3Url(destination.bucket, destination.key) };
  }
  return {
    ...destination,
    path: sftPath(destination.directory, destination.fileName, sft),
    delivery: sft
      ? traceSftDelivery(sft.config, destination.directory, destination.fileName, sft.nifiBucket)
      : undefined,
  };
}

function plannedLocation(location: DestinationLocation, sft: SftContext | undefined): PlannedLocation {
  if (location.transferType === 'S3') return { ...location, url: s3Url(location.bucket, location.keyPrefix) };
  return { ...location, path: sftPath(location.directory, undefined, sft) };
}

function objectPlan(
  bucket: string,
  key: string,
  decision: ListedObjectDecision,
  example: boolean,
  sft: SftContext | undefined,
): ObjectPlan {
  const base = {
    sourceBucket: bucket,
    sourceKey: key,
    example,
    name: basename(key),
    action: decision.action,
  };
  if (decision.action === 'send') {
    return { ...base, naming: decision.naming, destination: plannedDestination(decision.destination, sft) };
  }
  const error =
    decision.action === 'refuse' || decision.action === 'withhold'
      ? decision.reason
      : decision.reason === 'flag'
        ? 'a flag: listed but never sent'
        : 'a directory marker: listed but never sent';
  return { ...base, naming: [], error };
}

function completionFile(
  name: string | undefined,
  plan: RulePlan['controlFile'],
  sft: SftContext | undefined,
): PlannedFile | undefined {
  if (!plan || name === undefined) return undefined;
  return 'refused' in plan
    ? { name, error: plan.refused }
    : { name, destination: plannedDestination(plan.destination, sft) };
}

/** The service's handling of each kind of object under this rule. */
function contentPlan(rule: EgressRule): ContentPlan {
  const htmeMetadata = { datakeyencryptionkeyid: 'k', ciphertext: 'c', iv: 'i' };
  return {
    plain: planObjectHandling({}, rule),
    cse: planObjectHandling({ 'x-amz-matdesc': '{}' }, rule),
    htme: planObjectHandling(htmeMetadata, rule),
    htmeIncomplete: planObjectHandling({ datakeyencryptionkeyid: 'k', ciphertext: 'c' }, rule),
    compression: rule.compression,
    roleArn: rule.roleArn,
    manifestEncryption: rule.manifestFileName ? rule.manifestEncryption : undefined,
    rewrapKeyParameter: rule.rewrapDatakey ? rule.encryptingKeySsmParameterName : undefined,
  };
}

function defaultExample(rule: EgressRule): string {
  return rule.decrypt ? 'example.csv.enc' : 'example.csv';
}

/** The keys of `objects` the rule's listing returns, in listing (lexicographic) order. */
function listingOf(
  resolved: ResolvedRule,
  objects: readonly { readonly bucket: string; readonly key: string }[],
): string[] {
  return [
    ...new Set(
      objects.filter((object) => listingIncludes(resolved, object.bucket, object.key)).map((o) => o.key),
    ),
  ].sort(compareKeys);
}

/** S3 lists keys in UTF-8 byte order. */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function explainMatch(
  resolved: ResolvedRule,
  record: RoutingItemRecord,
  key: string,
  kind: Explanation['kind'],
  options: ExplainOptions,
): RuleMatch {
  const { rule } = resolved;
  const bucketNote =
    options.bucket !== undefined && options.bucket !== rule.sourceBucket && kind === 'flag'
      ? `the flag is in bucket ${options.bucket}, but the rule lists ${rule.sourceBucket}: the event’s bucket is ignored, as in the original`
      : undefined;
  const example = kind === 'flag';
  const exampleName = options.exampleName ?? defaultExample(rule);
  const objectKey = !example
    ? key
    : exampleName.startsWith(resolved.sourcePrefix)
      ? exampleName
      : keyUnderPrefix(resolved.sourcePrefix, exampleName);
  // The example (or this key) stands for every listed object; the listed objects, when known, are
  // what the service would really send.
  const single = planRule(resolved, [objectKey]);
  const listedKeys = kind === 'flag' && options.objects ? listingOf(resolved, options.objects) : undefined;
  const full = listedKeys ? planRule(resolved, listedKeys) : single;
  const plan = (entry: RulePlan['objects'][number], isExample: boolean) =>
    objectPlan(rule.sourceBucket, entry.key, entry.decision, isExample, options.sft);
  return {
    rule: labelOf(rule, record),
    prefix: explainPrefix(rule.key.sourcePrefix, options.stamps),
    listing: {
      bucket: full.listing.bucket,
      prefix: full.listing.prefix,
      ...(bucketNote ? { note: bucketNote } : {}),
    },
    triggeredBy: kind === 'data' ? [sampleFlagKey(resolved.sourcePrefix)] : undefined,
    location: plannedLocation(full.location, options.sft),
    object: plan(single.objects[0]!, example),
    listed: listedKeys ? full.objects.map((entry) => plan(entry, false)) : undefined,
    content: contentPlan(rule),
    controlFile: completionFile(rule.controlFilePrefix, full.controlFile, options.sft),
    manifest: completionFile(rule.manifestFileName, full.manifest, options.sft),
    controlEntries: listedKeys ? full.controlEntries : undefined,
    outcome: full.outcome,
    failures: full.failures,
    roleArn: rule.roleArn,
    decrypt: rule.decrypt,
    compression: rule.compression,
  };
}

function summarise(explanation: Omit<Explanation, 'summary'>): string {
  const { matches, key, kind, date } = explanation;
  const names = matches.map((m) => `${m.rule.pipelineName} (${m.rule.transferType})`).join(', ');
  if (kind === 'directory-marker') {
    return `${key} is a directory marker: the service never sends it`;
  }
  if (kind === 'flag') {
    if (matches.length === 0) {
      return `no rule matches the flag ${key} on ${date.isoDate}: the service would delete the message with a warning and send nothing`;
    }
    return `the flag ${key} fires ${matches.length} rule${matches.length === 1 ? '' : 's'} on ${date.isoDate}: ${names}`;
  }
  if (matches.length === 0) return `no rule would send ${key} on ${date.isoDate}`;
  return `${key} would be sent by ${matches.length} rule${matches.length === 1 ? '' : 's'} on ${date.isoDate} when a flag fires it: ${names}`;
}

/**
 * Explains what the egress service would do for `key`:
 *
 * - a **flag** key (`…pipeline_success.flag`): the rules it fires (behaviour §2.2), what each would list,
 *   and where each listed object, control file and manifest would go;
 * - a **data** key: the rules that would list and send it when a flag fires them, and its
 *   concrete destination under each;
 * - a directory marker (`…/`): never sent.
 *
 * Items the service rejects are reported when their prefix would match; dated rules that match on
 * another day are reported as near misses.
 */
export function explainKey(
  items: readonly RoutingItemRecord[],
  key: string,
  options: ExplainOptions,
): Explanation {
  const checked = checkItems(items);
  const kind: Explanation['kind'] = isFlagKey(key)
    ? 'flag'
    : isEgressableKey(key)
      ? 'data'
      : 'directory-marker';
  const records = new Map<EgressRule | InvalidRule, CheckedItem>();
  for (const entry of checked) records.set(entry.ok ? entry.rule : entry.invalid, entry);
  const valid = checked.flatMap((entry) => (entry.ok ? [entry.rule] : []));
  const invalid = checked.flatMap((entry) => (entry.ok ? [] : [entry.invalid]));
  // The service's own routing decision for a message carrying this key. For a data key the same
  // prefix test tells which rules list it (the listed prefix IS the matched prefix).
  const decided = matchFlags({ rules: valid, invalid }, [key], options.stamps);

  const matches: RuleMatch[] = [];
  const nearMisses: NearMiss[] = [];
  const fired = new Set<EgressRule>();
  if (kind !== 'directory-marker') {
    for (const resolved of decided.rules) {
      const record = records.get(resolved.rule)!.record;
      fired.add(resolved.rule);
      if (
        kind === 'data' &&
        options.bucket !== undefined &&
        !listingIncludes(resolved, options.bucket, key)
      ) {
        nearMisses.push({
          rule: labelOf(resolved.rule, record),
          resolvedPrefix: resolved.sourcePrefix,
          reason: `the key is under the rule’s prefix, but the rule lists bucket ${resolved.rule.sourceBucket}, not ${options.bucket}`,
        });
        continue;
      }
      matches.push(explainMatch(resolved, record, key, kind, options));
    }
    for (const rule of valid) {
      if (fired.has(rule)) continue;
      const day = matchingDay(rule.key.sourcePrefix, key);
      if (day !== undefined && day !== options.stamps.isoDate) {
        nearMisses.push({
          rule: labelOf(rule, records.get(rule)!.record),
          resolvedPrefix: resolveSourcePrefix(rule.key.sourcePrefix, options.stamps),
          reason: `the key carries the date ${day}, but $TODAYS_DATE is ${options.stamps.isoDate} when processed: the rule only matches flags of the processing day`,
          wouldMatchOn: day,
        });
      }
    }
  }
  const invalidMatches = decided.invalidMatches.map(({ invalid: item }): InvalidMatch => {
    const { record } = records.get(item)!;
    return {
      pipelineName: item.key.pipelineName,
      sourcePrefix: item.key.sourcePrefix,
      resource: record.resource,
      label: record.label,
      reason: item.reason,
    };
  });
  const partial = {
    key,
    bucket: options.bucket,
    kind,
    date: options.stamps,
    itemsConsidered: checked.length,
    invalidItems: invalid.length,
    matches,
    invalidMatches,
    nearMisses,
  };
  return { ...partial, summary: summarise(partial) };
}
