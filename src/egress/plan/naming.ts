import type { CompressionFormat } from '../rules/rule.ts';

/** Every key ending with this is a flag: never egressed, never listed in a manifest (behaviour §3.1). */
export const FLAG_SUFFIX = 'pipeline_success.flag';

/** Whether a key is a flag: a suffix test, so `db.x-pipeline_success.flag` is one too (behaviour §3.1). */
export function isFlagKey(key: string): boolean {
  return key.endsWith(FLAG_SUFFIX);
}

/** Whether a key is a directory marker (ends `/`); the original egressed these as files (behaviour §10.16). */
export function isDirectoryMarker(key: string): boolean {
  return key.endsWith('/');
}

/**
 * Whether a listed key is a data object: flags and directory markers are skipped.
 */
export function isEgressableKey(key: string): boolean {
  return !isDirectoryMarker(key) && !isFlagKey(key);
}

/** Java `File.getName`: the text after the last `/`, ignoring trailing slashes (`x/dir/` → `dir`). */
export function basename(name: string): string {
  const trimmed = name.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** Options of {@link targetKey}: the parts of a resolved rule that shape names. */
export interface TargetKeyOptions {
  /** The destination prefix, date placeholders already expanded. */
  destinationPrefix: string;
  /** The rule's `decrypt`: strips a trailing `.enc`. */
  decrypt: boolean;
  /** Appended as `.<format>` — only when the content really is compressed with it. */
  compression?: CompressionFormat | undefined;
}

/**
 * What {@link targetKey} puts in front of a file name: the destination prefix with ONE trailing `/`
 * removed, then `/`, then ONE leading `/` removed — `cbol/2021-09-01/` → `cbol/2021-09-01/`,
 * `/` (the OpsMI rule) and `` → `` (the bucket root), `/abs/path` → `abs/path/`, `a//` → `a//`.
 */
export function destinationKeyPrefix(destinationPrefix: string): string {
  const prefix = destinationPrefix.endsWith('/') ? destinationPrefix.slice(0, -1) : destinationPrefix;
  const joined = `${prefix}/`;
  return joined.startsWith('/') ? joined.slice(1) : joined;
}

/** One naming rule that changed a name, in the order the rules ran (for explanations). */
export interface NamingStep {
  /**
   * `timestamp`: `timestamp_files` inserted the date; `file-name`: the name was cut to its basename;
   * `destination-prefix`: the destination prefix was put in front; `strip-enc`: `.enc` was removed
   * (decrypt); `compression-suffix`: `.gz` / `.z` was appended.
   */
  readonly step: 'timestamp' | 'file-name' | 'destination-prefix' | 'strip-enc' | 'compression-suffix';
  /** The name after this step. */
  readonly result: string;
}

/**
 * {@link targetKey} with the naming steps that produced the key, for explanations: the service
 * names files with this very function.
 */
export function traceTargetKey(
  name: string,
  options: TargetKeyOptions,
): { readonly key: string; readonly steps: readonly NamingStep[] } {
  const steps: NamingStep[] = [];
  const fileName = basename(name);
  if (fileName !== name) steps.push({ step: 'file-name', result: fileName });
  let key = `${destinationKeyPrefix(options.destinationPrefix)}${fileName}`;
  if (key !== fileName) steps.push({ step: 'destination-prefix', result: key });
  if (options.decrypt && key.endsWith('.enc')) {
    key = key.slice(0, -'.enc'.length);
    steps.push({ step: 'strip-enc', result: key });
  }
  if (options.compression) {
    key = `${key}.${options.compression}`;
    steps.push({ step: 'compression-suffix', result: key });
  }
  return { key, steps };
}

/**
 * The S3 key for a name (behaviour §3.3): one trailing `/` off the prefix, `prefix/basename`, one leading
 * `/` off the result, `.enc` stripped when decrypting, then the compression suffix.
 *
 * Deliberate difference: the original appended `.<compress_fmt>` whenever the column was set, even
 * when `compress` was false or the format unknown (behaviour §10.13); callers pass `compression` only
 * when the bytes are compressed.
 */
export function targetKey(name: string, options: TargetKeyOptions): string {
  return traceTargetKey(name, options).key;
}

/** The original's extension run: one or more `.x`, `.xy`, `.xyz` at the end of the name. */
const EXTENSION_RUN = /((\.[^.]{1,3})+)$/;

/**
 * `timestamp_files` (behaviour §3.4): `.<yyyyMMdd>` goes in front of the trailing run of short
 * extensions, or at the end when there is none.
 *
 * Deliberate difference: the stamp is applied to the BASENAME only. The original applied its
 * regular expression to the whole key, so a dot in a folder name (`a.b/c.txt`) moved the stamp into
 * the folder part and the file name lost it (behaviour §10.16).
 */
export function timestampedName(key: string, compactDate: string): string {
  const slash = key.lastIndexOf('/');
  const folder = key.slice(0, slash + 1);
  const name = key.slice(slash + 1);
  const match = EXTENSION_RUN.exec(name);
  const stamped = match
    ? `${name.slice(0, match.index)}.${compactDate}${match[1]}`
    : `${name}.${compactDate}`;
  return `${folder}${stamped}`;
}

/**
 * The SFT file name of a data object (behaviour §3.5): the basename of the possibly timestamped key.
 * Exactly as the original, `.enc` is kept even when decrypting and no compression suffix is added:
 * the SFT agent's routes match names such as `db.core.claimant-045-070-000001.20210901.txt.gz.enc`.
 */
export function sftDataFileName(possiblyTimestampedKey: string): string {
  return basename(possiblyTimestampedKey);
}

/** Manifest `data_product_type`: `full`, `incremental` or `""` from the resolved source prefix. */
export function dataProductType(sourcePrefix: string): string {
  const lower = sourcePrefix.toLowerCase();
  if (lower.includes('full')) return 'full';
  if (lower.includes('incremental')) return 'incremental';
  return '';
}

/** Manifest `data_product`: the text after the last `/` of the source prefix, one trailing `-` removed. */
export function dataProduct(sourcePrefix: string): string {
  const last = sourcePrefix.slice(sourcePrefix.lastIndexOf('/') + 1);
  return last.endsWith('-') ? last.slice(0, -1) : last;
}
