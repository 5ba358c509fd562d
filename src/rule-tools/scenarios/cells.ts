import type { CompressionFormat, ManifestEncryption } from '../../egress/rules/rule.ts';
import type { Arrival } from '../deliveries.ts';
import type { DataContent, ManifestContent } from './expectations.ts';

/*
 * The words of a generated rule-set feature's tables, written by the generator and read back by the
 * steps: where a file arrives and what it must hold. One module does both directions, and a test
 * reads back everything the generator writes, so the two never drift apart.
 */

/** A table cell that cannot be read back. */
export class RuleSetCellError extends Error {
  override readonly name = 'RuleSetCellError';
}

/** Where a file must arrive, as a scenario states it. */
export type ArrivalCell =
  /** An S3 rule's destination object. */
  | { readonly kind: 's3'; readonly bucket: string; readonly key: string }
  /** What the stub NiFi stored for an SFT file (its bucket is the target's `nifi.bucket`). */
  | { readonly kind: 'stub-hdfs'; readonly key: string }
  /** A file left in an SFT directory no agent route sends on (path from the SFT root). */
  | { readonly kind: 'sft-file'; readonly path: string }
  /** A file the agent could not deliver, in its route's error folder (path from the SFT root). */
  | { readonly kind: 'sft-error'; readonly path: string }
  /** Nothing arrives: the object fails. */
  | { readonly kind: 'nothing' };

export function arrivalCell(arrival: Arrival): ArrivalCell {
  switch (arrival.kind) {
    case 's3':
      return arrival.via === 'S3'
        ? { kind: 's3', bucket: arrival.bucket, key: arrival.key }
        : { kind: 'stub-hdfs', key: arrival.key };
    case 'sft-file':
      return { kind: 'sft-file', path: arrival.path };
    case 'sft-error':
      return { kind: 'sft-error', path: arrival.path };
  }
}

export function renderArrival(cell: ArrivalCell): string {
  switch (cell.kind) {
    case 's3':
      return `s3://${cell.bucket}/${cell.key}`;
    case 'stub-hdfs':
      return `stub-hdfs ${cell.key}`;
    case 'sft-file':
      return `SFT directory ${cell.path}`;
    case 'sft-error':
      return `SFT error folder ${cell.path}`;
    case 'nothing':
      return 'nothing';
  }
}

export function parseArrival(text: string): ArrivalCell {
  const s3 = /^s3:\/\/([^/]+)\/(.+)$/.exec(text);
  if (s3) return { kind: 's3', bucket: s3[1]!, key: s3[2]! };
  for (const [prefix, kind] of [
    ['stub-hdfs ', 'stub-hdfs'],
    ['SFT directory ', 'sft-file'],
    ['SFT error folder ', 'sft-error'],
  ] as const) {
    if (text.startsWith(prefix) && text.length > prefix.length) {
      const rest = text.slice(prefix.length);
      return kind === 'stub-hdfs' ? { kind, key: rest } : { kind, path: rest };
    }
  }
  if (text === 'nothing') return { kind: 'nothing' };
  throw new RuleSetCellError(
    `"${text}" is not a place a file arrives: s3://<bucket>/<key>, stub-hdfs <key>, SFT directory <path>, SFT error folder <path> or nothing`,
  );
}

/** What a data row expects: the sample treated as the rule says, or a failure. */
export type DataContentCell = DataContent | { readonly fails: string };

const HANDLING_WORDS = {
  plain: '',
  decrypt: ', decrypted',
  passThrough: ', still encrypted',
  withMetadata: ', still encrypted, with its key metadata',
} as const;

export function renderDataContent(cell: DataContentCell): string {
  if ('fails' in cell) return `fails: ${cell.fails}`;
  const compressed = cell.compression === 'gz' ? 'gzip of ' : cell.compression === 'z' ? 'zlib of ' : '';
  const how =
    cell.handling === 'plain'
      ? HANDLING_WORDS.plain
      : cell.handling === 'decrypt'
        ? HANDLING_WORDS.decrypt
        : cell.handling === 'rewrap'
          ? `, still encrypted, its key re-wrapped for the key in SSM ${JSON.stringify(cell.rewrapParameter ?? '')}`
          : cell.keyMetadata
            ? HANDLING_WORDS.withMetadata
            : HANDLING_WORDS.passThrough;
  return `${compressed}the sample${how}`;
}

export function parseDataContent(text: string): DataContentCell {
  if (text.startsWith('fails: ')) return { fails: text.slice('fails: '.length) };
  const match = /^(gzip of |zlib of )?the sample(.*)$/.exec(text);
  if (!match) {
    throw new RuleSetCellError(
      `"${text}" is not a content: "[gzip of |zlib of ]the sample[, decrypted | , still encrypted[, with its key metadata] | , still encrypted, its key re-wrapped for the key in SSM "<name>"]" or "fails: <reason>"`,
    );
  }
  const compression: CompressionFormat | undefined =
    match[1] === 'gzip of ' ? 'gz' : match[1] === 'zlib of ' ? 'z' : undefined;
  const how = match[2]!;
  const rewrap = /^, still encrypted, its key re-wrapped for the key in SSM ("(?:[^"\\]|\\.)*")$/.exec(how);
  if (rewrap) {
    return {
      handling: 'rewrap',
      keyMetadata: true,
      rewrapParameter: JSON.parse(rewrap[1]!) as string,
      compression,
    };
  }
  switch (how) {
    case HANDLING_WORDS.plain:
      return { handling: 'plain', keyMetadata: false, compression };
    case HANDLING_WORDS.decrypt:
      return { handling: 'decrypt', keyMetadata: false, compression };
    case HANDLING_WORDS.passThrough:
      return { handling: 'pass-through', keyMetadata: false, compression };
    case HANDLING_WORDS.withMetadata:
      return { handling: 'pass-through', keyMetadata: true, compression };
    default:
      throw new RuleSetCellError(`"${text}": unknown treatment of the sample "${how}"`);
  }
}

function renderNames(names: readonly string[]): string {
  return names.length === 0 ? 'lists nothing' : `lists ${names.join(', ')}`;
}

function parseNames(text: string, what: string): string[] {
  if (text === 'lists nothing') return [];
  if (!text.startsWith('lists ')) throw new RuleSetCellError(`"${text}": a ${what} "lists <names>"`);
  return text.slice('lists '.length).split(', ');
}

/** A control file's content: its lines, in order. */
export function renderControlContent(entries: readonly string[]): string {
  return renderNames(entries);
}

export function parseControlContent(text: string): string[] {
  return parseNames(text, 'control file');
}

/**
 * A manifest's content. An encrypted manifest sent by SFT carries no key metadata, so nothing can
 * read it: `entries` is then `undefined`, and only that it is not a bare gzip stream is checked.
 */
export interface ManifestCell {
  readonly encryption: ManifestEncryption;
  readonly rewrapParameter?: string | undefined;
  readonly dataProduct?: { readonly name: string; readonly type: string } | undefined;
  readonly entries?: readonly string[] | undefined;
}

export function manifestCell(manifest: ManifestContent, transferType: 'S3' | 'SFT'): ManifestCell {
  const readable = manifest.encryption === 'plaintext' || transferType === 'S3';
  return {
    encryption: manifest.encryption,
    rewrapParameter: manifest.rewrapParameter,
    dataProduct: manifest.dataProduct,
    entries: readable ? manifest.entries : undefined,
  };
}

const UNREADABLE = 'encrypted, without its key metadata';
const DKS_WORDS = 'gzip, encrypted under a Data Key Service key';

export function renderManifestContent(cell: ManifestCell): string {
  if (cell.entries === undefined) return UNREADABLE;
  const parts = [
    cell.encryption === 'plaintext'
      ? 'gzip'
      : cell.encryption === 'encrypted'
        ? DKS_WORDS
        : `gzip, encrypted for the key in SSM ${JSON.stringify(cell.rewrapParameter ?? '')}`,
  ];
  if (cell.dataProduct) {
    parts.push(
      `data product ${JSON.stringify(cell.dataProduct.name)}, type ${JSON.stringify(cell.dataProduct.type)}`,
    );
  }
  parts.push(renderNames(cell.entries));
  return parts.join('; ');
}

export function parseManifestContent(text: string): ManifestCell {
  if (text === UNREADABLE) return { encryption: 'encrypted', entries: undefined };
  const [encoding, ...rest] = text.split('; ');
  let encryption: ManifestEncryption;
  let rewrapParameter: string | undefined;
  if (encoding === 'gzip') encryption = 'plaintext';
  else if (encoding === DKS_WORDS) encryption = 'encrypted';
  else {
    const rewrap = /^gzip, encrypted for the key in SSM ("(?:[^"\\]|\\.)*")$/.exec(encoding ?? '');
    if (!rewrap) {
      throw new RuleSetCellError(
        `"${text}" is not a manifest: "gzip[, encrypted under a Data Key Service key | , encrypted for the key in SSM "<name>"][; data product "<name>", type "<type>"]; lists <names>"`,
      );
    }
    encryption = 'rewrapped';
    rewrapParameter = JSON.parse(rewrap[1]!) as string;
  }
  let dataProduct: ManifestCell['dataProduct'];
  const product = /^data product ("(?:[^"\\]|\\.)*"), type ("(?:[^"\\]|\\.)*")$/.exec(rest[0] ?? '');
  if (product) {
    dataProduct = { name: JSON.parse(product[1]!) as string, type: JSON.parse(product[2]!) as string };
    rest.shift();
  }
  if (rest.length !== 1) throw new RuleSetCellError(`"${text}": a manifest ends with "lists <names>"`);
  return { encryption, rewrapParameter, dataProduct, entries: parseNames(rest[0]!, 'manifest') };
}
