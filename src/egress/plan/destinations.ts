import { UnsafeDestinationError } from '../errors.ts';
import type { ResolvedRule } from '../rules/matching.ts';
import {
  basename,
  destinationKeyPrefix,
  type NamingStep,
  sftDataFileName,
  targetKey,
  timestampedName,
  traceTargetKey,
} from './naming.ts';
import { expandAllDatePlaceholders, expandControlFilePrefix } from './placeholders.ts';
import { assertSafeFileName, resolveSftLocation } from './sft-paths.ts';

/**
 * Where one file goes. For SFT, `directory` is the rule's expanded `destination_prefix`; the sink
 * maps it under `sftRoot` (see `resolveSftLocation`), which is I/O configuration, not naming.
 */
export type Destination =
  | { readonly transferType: 'S3'; readonly bucket: string; readonly key: string }
  | { readonly transferType: 'SFT'; readonly directory: string; readonly fileName: string };

/**
 * A stand-in SFT root for planning: `resolveSftLocation` refuses `..` segments, NUL and unsafe names
 * outright, so whether a directory may be used does not depend on where the real root is.
 */
const PLANNING_ROOT = '/';

function assertSafeS3Key(key: string, what: string): void {
  if (key.includes('\0')) throw new UnsafeDestinationError(`${what} ${JSON.stringify(key)} contains NUL`);
  if (basename(key) === '')
    throw new UnsafeDestinationError(`${what} ${JSON.stringify(key)} has no file name`);
}

/** Builds the destination of a name that has already gone through the S3 naming of §3.3. */
function destinationFor(
  resolved: ResolvedRule,
  s3Key: string,
  sftFileName: string,
  what: string,
): Destination {
  const { rule } = resolved;
  if (rule.transferType === 'S3') {
    assertSafeS3Key(s3Key, what);
    // The schema guarantees a destination bucket on S3 rules.
    return { transferType: 'S3', bucket: rule.destinationBucket ?? '', key: s3Key };
  }
  assertSafeFileName(sftFileName, what);
  // The sink maps the directory under sftRoot with this same function when it writes; refusing a
  // directory that would leave any root here makes the refusal part of the plan (explain shows it).
  resolveSftLocation(PLANNING_ROOT, resolved.destinationPrefix, sftFileName);
  return { transferType: 'SFT', directory: resolved.destinationPrefix, fileName: sftFileName };
}

/**
 * A data object's destination (behaviour §3.2 step 4, §3.3, §3.5): the key is timestamped first when the
 * rule says so, then named for S3 (prefix, `.enc` stripping, compression suffix) or SFT (basename).
 * Throws {@link UnsafeDestinationError} for a name that cannot be written.
 */
export function planDataObject(resolved: ResolvedRule, sourceKey: string): Destination {
  return planDataObjectNaming(resolved, sourceKey).destination;
}

/**
 * {@link planDataObject} with the naming steps that led to the destination, for explanations.
 * The service plans every object through this function.
 */
export function planDataObjectNaming(
  resolved: ResolvedRule,
  sourceKey: string,
): { readonly destination: Destination; readonly steps: readonly NamingStep[] } {
  const { rule } = resolved;
  const steps: NamingStep[] = [];
  const name = rule.timestampFiles ? timestampedName(sourceKey, resolved.stamps.compactDate) : sourceKey;
  if (name !== sourceKey) steps.push({ step: 'timestamp', result: name });
  const s3 = traceTargetKey(name, {
    destinationPrefix: resolved.destinationPrefix,
    decrypt: rule.decrypt,
    compression: rule.compression,
  });
  const sftFileName = sftDataFileName(name);
  const destination = destinationFor(resolved, s3.key, sftFileName, 'destination key');
  if (destination.transferType === 'S3') steps.push(...s3.steps);
  else if (sftFileName !== name) steps.push({ step: 'file-name', result: sftFileName });
  return { destination, steps };
}

/**
 * Where a rule puts every file, before any file name: the destination bucket and the key prefix
 * {@link targetKey} puts in front of names (S3), or the SFT directory (the rule's expanded
 * `destination_prefix`, mapped under `sftRoot` by the sink).
 */
export type DestinationLocation =
  | { readonly transferType: 'S3'; readonly bucket: string; readonly keyPrefix: string }
  | { readonly transferType: 'SFT'; readonly directory: string };

export function destinationLocation(resolved: ResolvedRule): DestinationLocation {
  const { rule } = resolved;
  if (rule.transferType === 'S3') {
    return {
      transferType: 'S3',
      bucket: rule.destinationBucket ?? '',
      keyPrefix: destinationKeyPrefix(resolved.destinationPrefix),
    };
  }
  return { transferType: 'SFT', directory: resolved.destinationPrefix };
}

/**
 * The control file's destination (behaviour §6.1), or `undefined` when the rule has none. Its `$TODAYS_DATE`
 * is `yyyyMMdd`. The control file is never compressed, so — unlike the original — it gets no
 * compression suffix; for SFT the name still goes through the S3 naming (`.enc` logic) first.
 */
export function planControlFile(resolved: ResolvedRule): Destination | undefined {
  const { rule } = resolved;
  if (rule.controlFilePrefix === undefined) return undefined;
  const name = expandControlFilePrefix(rule.controlFilePrefix, resolved.stamps);
  const s3Key = targetKey(name, { destinationPrefix: resolved.destinationPrefix, decrypt: rule.decrypt });
  return destinationFor(resolved, s3Key, basename(s3Key), 'control file name');
}

/**
 * The manifest's destination (behaviour §6.2), or `undefined` when the rule has none:
 * `<targetKey(name) without compression suffix>.gz`, plus `.enc` when the manifest is encrypted.
 * The original's `.gz.gz` (compression suffix then `.gz`, behaviour §10.13) cannot happen.
 */
export function planManifest(resolved: ResolvedRule): Destination | undefined {
  const { rule } = resolved;
  if (rule.manifestFileName === undefined) return undefined;
  const name = expandAllDatePlaceholders(rule.manifestFileName, resolved.stamps);
  const plainKey = targetKey(name, { destinationPrefix: resolved.destinationPrefix, decrypt: rule.decrypt });
  const s3Key = `${plainKey}.gz${rule.manifestEncryption === 'plaintext' ? '' : '.enc'}`;
  return destinationFor(resolved, s3Key, basename(s3Key), 'manifest name');
}

/** The name a control file lists for a delivered file: its basename (behaviour §6.1). */
export function controlFileEntry(destination: Destination): string {
  return destination.transferType === 'S3' ? basename(destination.key) : destination.fileName;
}

/**
 * The name a manifest line gives a delivered file: the destination key for S3; for SFT the file's
 * path in the same `prefix/name` form (one leading `/` removed), so both read alike.
 */
export function manifestEntry(destination: Destination): string {
  if (destination.transferType === 'S3') return destination.key;
  return targetKey(destination.fileName, { destinationPrefix: destination.directory, decrypt: false });
}

/** Control-file content: each delivered name followed by `\n`, in listing order; empty when none. */
export function controlFileBody(entries: readonly string[]): string {
  return entries.map((entry) => `${entry}\n`).join('');
}

/** One delivered file as a manifest line describes it. */
export interface ManifestLine {
  readonly name: string;
  /** Bytes written to the destination (the original reported the source size, behaviour §10.24). */
  readonly size: number;
}

/** Manifest text before gzip: `<name>  <size> <yyyy-MM-dd>\n` per file (two spaces, then one). */
export function manifestBody(lines: readonly ManifestLine[], isoDate: string): string {
  return lines.map((line) => `${line.name}  ${line.size} ${isoDate}\n`).join('');
}
