import path from 'node:path';
import { UnsafeDestinationError } from '../egress/errors.ts';
import type { DateStamps } from '../egress/plan/dates.ts';
import {
  type Destination,
  planControlFile,
  planDataObject,
  planManifest,
} from '../egress/plan/destinations.ts';
import { basename, FLAG_SUFFIX, targetKey } from '../egress/plan/naming.ts';
import { expandAllDatePlaceholders, expandSourcePrefix, PLACEHOLDERS } from '../egress/plan/placeholders.ts';
import { resolveSftLocation } from '../egress/plan/sft-paths.ts';
import { type ResolvedRule, resolveRule, resolveSourcePrefix } from '../egress/rules/matching.ts';
import type { EgressRule } from '../egress/rules/rule.ts';
import type { SftAgentConfig } from '../sft/config/types.ts';
import { type CheckedItem, checkItems, type RoutingItemRecord } from './items.ts';
import { type SftDelivery, traceSftDelivery } from './sft-delivery.ts';

/*
 * `egress routes explain`: a pure dry run of the egress service's routing for one S3 key, built
 * from the service's own modules (schema, matching, naming, destinations) so it cannot drift from
 * what the service does. Nothing is listed or read: where the service would list a prefix, the
 * explanation says what it would list.
 */

/** Options of {@link explainKey}. */
export interface ExplainOptions {
  /** The bucket the key is in, when known. Flags: informational (the original ignores the event's bucket). */
  bucket?: string | undefined;
  /** The processing day (one "now", as the service takes one per message). */
  stamps: DateStamps;
  /** The SFT agent's routes and the stub NiFi's bucket, to follow SFT files to stub-hdfs. */
  sft?: SftContext | undefined;
  /** File name used for the example object of a flag (default `example.csv.enc` / `example.csv`). */
  exampleName?: string | undefined;
}

export interface SftContext {
  readonly config: Pick<SftAgentConfig, 'routes'>;
  /** The stub NiFi's bucket (`stub-hdfs-local`). */
  readonly nifiBucket: string;
  /** The SFT root of a running sandbox; without it paths are shown as configured (`/data-egress/sas/x`). */
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

/** How `source_prefix` became the prefix that was tested (spec §2.2). */
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
      /** The file's path: under the sandbox's SFT root when known, else the configured path. */
      readonly path: string;
      /** The SFT agent's handling of the file (when routes are known). */
      readonly delivery?: SftDelivery | undefined;
    };

export interface PlannedFile {
  readonly name: string;
  readonly destination?: PlannedDestination | undefined;
  /** Why the file could not be written (a name that would leave the SFT root, for instance). */
  readonly error?: string | undefined;
}

export interface ObjectPlan extends PlannedFile {
  readonly sourceBucket: string;
  readonly sourceKey: string;
  /** True when the object is made up (a flag was explained, so nothing concrete is known). */
  readonly example: boolean;
}

/** One rule that a flag key fires, or that would send a data key. */
export interface RuleMatch {
  readonly rule: RuleLabel;
  readonly prefix: PrefixExplanation;
  /** What the service would list when the rule fires. */
  readonly listing: { readonly bucket: string; readonly prefix: string; readonly note?: string | undefined };
  /** Data keys: flag keys that would make the rule send this object. */
  readonly triggeredBy?: readonly string[] | undefined;
  /** The destination of every listed object, with `{file}` for the object's file name. */
  readonly destinationPattern: string;
  readonly object: ObjectPlan;
  readonly naming: readonly string[];
  /** Encryption, re-wrap and compression applied to the content. */
  readonly content: readonly string[];
  readonly controlFile?: PlannedFile | undefined;
  readonly manifest?: PlannedFile | undefined;
  readonly roleArn?: string | undefined;
  /** The rule's `decrypt`: HTME objects arrive decrypted. */
  readonly decrypt: boolean;
  /** The compression applied, when the rule compresses. */
  readonly compression?: 'gz' | 'z' | undefined;
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

function where(destination: Destination, sft: SftContext | undefined): PlannedDestination {
  if (destination.transferType === 'S3') {
    return { ...destination, url: `s3://${destination.bucket}/${destination.key}` };
  }
  const configured = path.posix.join('/', destination.directory, destination.fileName);
  const location = sft?.sftRoot
    ? resolveSftLocation(sft.sftRoot, destination.directory, destination.fileName).file
    : configured;
  return {
    ...destination,
    path: location,
    delivery: sft
      ? traceSftDelivery(sft.config, destination.directory, destination.fileName, sft.nifiBucket)
      : undefined,
  };
}

function planFile(name: string, plan: () => Destination | undefined, sft: SftContext | undefined) {
  try {
    const destination = plan();
    return destination ? { name, destination: where(destination, sft) } : undefined;
  } catch (error) {
    if (error instanceof UnsafeDestinationError) return { name, error: error.message };
    throw error;
  }
}

function namingNotes(resolved: ResolvedRule): string[] {
  const { rule } = resolved;
  const notes: string[] = [];
  if (resolved.destinationPrefix !== rule.destinationPrefix) {
    notes.push(
      `destination_prefix ${JSON.stringify(rule.destinationPrefix)} → ${JSON.stringify(resolved.destinationPrefix)} (date placeholders expanded)`,
    );
  }
  if (rule.transferType === 'S3') {
    notes.push(
      'key = destination prefix + the object’s file name (sub-folders under the listed prefix are flattened)',
    );
    if (rule.decrypt) notes.push('a trailing ".enc" is removed (decrypt is true)');
  } else {
    notes.push(
      'file = the object’s file name in that directory; ".enc" is kept and no compression suffix is added (the SFT agent’s routes expect these names)',
    );
  }
  if (rule.timestampFiles) {
    notes.push(
      `timestamp_files: ".${resolved.stamps.compactDate}" goes before the file name’s trailing short extensions (x.txt.gz.enc → x.${resolved.stamps.compactDate}.txt.gz.enc), or at the end`,
    );
  }
  if (rule.compression && rule.transferType === 'S3') notes.push(`".${rule.compression}" is appended`);
  return notes;
}

function contentNotes(rule: EgressRule, item: Readonly<Record<string, unknown>>): string[] {
  const notes: string[] = [];
  const sft = rule.transferType === 'SFT';
  if (rule.decrypt) {
    notes.push(
      'HTME-encrypted objects (metadata datakeyencryptionkeyid, ciphertext, iv) are decrypted: the data key is unwrapped by the DKS, the body deciphered with AES-CTR',
    );
  } else if (rule.rewrapDatakey && !sft) {
    notes.push(
      `HTME-encrypted objects stay encrypted; their data key is re-wrapped with the RSA public key in SSM parameter ${JSON.stringify(rule.encryptingKeySsmParameterName ?? '')} (RSA-OAEP-SHA256) and written as the new ciphertext metadata`,
    );
  } else if (sft) {
    notes.push(
      'HTME-encrypted objects are written still encrypted and WITHOUT their key metadata (SFT carries no metadata)',
    );
  } else {
    notes.push(
      'HTME-encrypted objects are copied still encrypted, with their envelope metadata (iv, ciphertext, datakeyencryptionkeyid, data_product*)',
    );
  }
  if (rule.decrypt && rule.rewrapDatakey && !sft) {
    notes.push(
      'decrypt AND rewrap_datakey: the body is written decrypted but carries re-wrapped key metadata (a bug of the original, kept for parity)',
    );
  }
  if (rule.rewrapDatakey && sft) notes.push('rewrap_datakey has no effect on SFT transfers');
  notes.push(
    'client-side-encrypted objects (x-amz-matdesc) are always decrypted; unencrypted objects are copied',
  );
  if (rule.compression) {
    notes.push(
      `content compressed with ${rule.compression === 'gz' ? 'gzip' : 'zlib'}${sft ? ' (no suffix on the SFT file name)' : ''}`,
    );
  } else {
    notes.push('no compression');
    if (typeof item.compress_fmt === 'string' && item.compress_fmt.trim() !== '') {
      notes.push(
        `compress_fmt ${JSON.stringify(item.compress_fmt)} is ignored because compress is not true (the original appended the suffix anyway)`,
      );
    }
  }
  if (rule.roleArn) {
    notes.push(
      `S3 writes (data, control, manifest) use credentials from sts:AssumeRole ${rule.roleArn} (session data-egress)`,
    );
  }
  if (rule.manifestFileName) {
    notes.push(
      rule.manifestEncryption === 'plaintext'
        ? 'manifest: gzip, not encrypted'
        : `manifest: gzip, then encrypted (${rule.manifestEncryption}) with a DKS data key`,
    );
  }
  return notes;
}

function destinationPattern(resolved: ResolvedRule): string {
  const { rule } = resolved;
  if (rule.transferType === 'SFT') return path.posix.join('/', resolved.destinationPrefix, '{file}');
  const key = targetKey('{file}', {
    destinationPrefix: resolved.destinationPrefix,
    decrypt: false,
    compression: rule.compression,
  });
  return `s3://${rule.destinationBucket ?? ''}/${key}`;
}

function defaultExample(rule: EgressRule): string {
  return rule.decrypt ? 'example.csv.enc' : 'example.csv';
}

function explainMatch(
  checked: Extract<CheckedItem, { ok: true }>,
  key: string,
  kind: Explanation['kind'],
  options: ExplainOptions,
): RuleMatch {
  const { rule, record } = checked;
  const resolved = resolveRule(rule, options.stamps);
  const prefix = explainPrefix(rule.key.sourcePrefix, options.stamps);
  const bucketNote =
    options.bucket !== undefined && options.bucket !== rule.sourceBucket && kind === 'flag'
      ? `the flag is in bucket ${options.bucket}, but the rule lists ${rule.sourceBucket}: the event’s bucket is ignored, as in the original`
      : undefined;
  const example = kind === 'flag';
  const exampleName = options.exampleName ?? defaultExample(rule);
  const sourceKey = !example
    ? key
    : exampleName.startsWith(resolved.sourcePrefix)
      ? exampleName
      : `${resolved.sourcePrefix}${exampleName}`;
  const object = {
    sourceBucket: rule.sourceBucket,
    sourceKey,
    example,
    ...(planFile(basename(sourceKey), () => planDataObject(resolved, sourceKey), options.sft) ?? {
      name: basename(sourceKey),
    }),
  };
  const control = rule.controlFilePrefix
    ? planFile(rule.controlFilePrefix, () => planControlFile(resolved), options.sft)
    : undefined;
  const manifest = rule.manifestFileName
    ? planFile(rule.manifestFileName, () => planManifest(resolved), options.sft)
    : undefined;
  return {
    rule: labelOf(rule, record),
    prefix,
    listing: {
      bucket: rule.sourceBucket,
      prefix: resolved.sourcePrefix,
      ...(bucketNote ? { note: bucketNote } : {}),
    },
    triggeredBy: kind === 'data' ? [`${resolved.sourcePrefix}${FLAG_SUFFIX}`] : undefined,
    destinationPattern: destinationPattern(resolved),
    object,
    naming: namingNotes(resolved),
    content: contentNotes(rule, record.item),
    controlFile: control,
    manifest,
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
 * - a **flag** key (`…pipeline_success.flag`): the rules it fires (spec §2.2), what each would list,
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
  const kind: Explanation['kind'] = key.endsWith(FLAG_SUFFIX)
    ? 'flag'
    : key.endsWith('/')
      ? 'directory-marker'
      : 'data';
  const matches: RuleMatch[] = [];
  const invalidMatches: InvalidMatch[] = [];
  const nearMisses: NearMiss[] = [];
  for (const entry of checked) {
    if (!entry.ok) {
      const pattern = entry.record.item.source_prefix;
      if (typeof pattern === 'string' && key.startsWith(resolveSourcePrefix(pattern, options.stamps))) {
        invalidMatches.push({
          pipelineName: entry.invalid.key.pipelineName,
          sourcePrefix: entry.invalid.key.sourcePrefix,
          resource: entry.record.resource,
          label: entry.record.label,
          reason: entry.invalid.reason,
        });
      }
      continue;
    }
    const { rule } = entry;
    const resolvedPrefix = resolveSourcePrefix(rule.key.sourcePrefix, options.stamps);
    if (kind === 'directory-marker') continue;
    if (key.startsWith(resolvedPrefix)) {
      if (kind === 'data' && options.bucket !== undefined && options.bucket !== rule.sourceBucket) {
        nearMisses.push({
          rule: labelOf(rule, entry.record),
          resolvedPrefix,
          reason: `the key is under the rule’s prefix, but the rule lists bucket ${rule.sourceBucket}, not ${options.bucket}`,
        });
        continue;
      }
      matches.push(explainMatch(entry, key, kind, options));
      continue;
    }
    const day = matchingDay(rule.key.sourcePrefix, key);
    if (day !== undefined && day !== options.stamps.isoDate) {
      nearMisses.push({
        rule: labelOf(rule, entry.record),
        resolvedPrefix,
        reason: `the key carries the date ${day}, but $TODAYS_DATE is ${options.stamps.isoDate} when processed: the rule only matches flags of the processing day`,
        wouldMatchOn: day,
      });
    }
  }
  const partial = {
    key,
    bucket: options.bucket,
    kind,
    date: options.stamps,
    itemsConsidered: checked.length,
    invalidItems: checked.filter((entry) => !entry.ok).length,
    matches,
    invalidMatches,
    nearMisses,
  };
  return { ...partial, summary: summarise(partial) };
}

/** Expands the destination prefix alone (for listings): all three date placeholders. */
export function expandDestinationPrefix(prefix: string, stamps: DateStamps): string {
  return expandAllDatePlaceholders(prefix, stamps);
}
