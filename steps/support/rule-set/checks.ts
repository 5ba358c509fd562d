import { constants, createDecipheriv, privateDecrypt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync, inflateSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { dateStamps } from '../../../src/egress/plan/dates.ts';
import type { Destination } from '../../../src/egress/plan/destinations.ts';
import { basename } from '../../../src/egress/plan/naming.ts';
import { resolveSftLocation } from '../../../src/egress/plan/sft-paths.ts';
import type { EgressRule } from '../../../src/egress/rules/rule.ts';
import { describeRuleKey } from '../../../src/egress/rules/rule.ts';
import {
  type ArrivalCell,
  type DataContentCell,
  expandDatePlaceholders,
  type ManifestCell,
  parseArrival,
  renderArrival,
  renderDataContent,
  scopeDestinationKey,
  scopeSourceKey,
} from '../../../src/rule-tools/scenarios/index.ts';
import { waitFor } from '../../../src/util/wait.ts';
import type { PipelineEvent } from '../pipeline-events.ts';
import type { TestTarget } from '../target.ts';
import type { PublishedSample, RuleSetWave } from './wave.ts';

/*
 * Checks one rule's table against what really arrived, on the bytes, and words every failure the
 * way a team reads it in a CI report: which rule, which object, what was expected, and what the
 * service and the SFT agent did instead (read from the service's own events and the stores).
 */

/** How long an arrival may take once the flag's message was handled: S3 writes are done by then. */
const S3_DEADLINE_MS = 5_000;
/** The SFT agent sends a finished file within 10 s in the sandbox (docs/reference/contracts.md#sandbox-timings). */
const SFT_DEADLINE_MS = 20_000;

/** Where one rule's scenario stands. */
export interface RuleCheck {
  readonly target: TestTarget;
  readonly wave: RuleSetWave;
  readonly rule: EgressRule;
  /** `PIPELINE for "source_prefix" (label)`: how failures name the rule. */
  readonly who: string;
  /** The scoped rule key the service reports (`bdd-x/prefix|PIPELINE`). */
  readonly scopedRuleKey: string;
  /** Bytes delivered per file name (data rows), for the manifest's sizes. */
  readonly delivered: Map<string, number>;
  /** Writes a failure already named as what happened instead (not reported twice). */
  readonly explained: Set<string>;
}

export function ruleCheck(target: TestTarget, wave: RuleSetWave, rule: EgressRule, label: string): RuleCheck {
  return {
    target,
    wave,
    rule,
    who: `Rule ${rule.key.pipelineName} for ${JSON.stringify(rule.key.sourcePrefix)} (${label})`,
    scopedRuleKey: describeRuleKey({
      sourcePrefix: scopeSourceKey(wave.scope, rule.key.sourcePrefix),
      pipelineName: rule.key.pipelineName,
    }),
    delivered: new Map(),
    explained: new Set(),
  };
}

/** `<hhmmss>` (the processing time) as a pattern; everything else literal. */
function templatePattern(template: string): RegExp {
  const escaped = template.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replaceAll('<hhmmss>', '(\\d{6})');
  return new RegExp(`^${escaped}$`);
}

function sameTemplate(template: string, actual: string): boolean {
  return template.includes('<hhmmss>') ? templatePattern(template).test(actual) : template === actual;
}

async function events(check: RuleCheck): Promise<PipelineEvent[]> {
  return check.target.events.since(check.wave.eventMark);
}

function describeDestination(destination: Destination): string {
  return destination.transferType === 'S3'
    ? `s3://${destination.bucket}/${destination.key}`
    : `SFT ${path.posix.join(destination.directory.startsWith('/') ? '' : '/', destination.directory, destination.fileName)}`;
}

/** A file found where the table says it arrives. */
interface Found {
  readonly where: string;
  readonly name: string;
  readonly body: Buffer;
  readonly metadata: Record<string, string>;
  /** When it was stored: a file older than the wave is an earlier run's (SFT names are not scoped). */
  readonly modified: Date;
}

async function getObject(check: RuleCheck, bucket: string, key: string): Promise<Found | undefined> {
  try {
    const result = await check.wave.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return {
      where: `s3://${bucket}/${key}`,
      name: basename(key),
      body: Buffer.from(await result.Body!.transformToByteArray()),
      metadata: result.Metadata ?? {},
      modified: result.LastModified ?? new Date(0),
    };
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

async function listKeys(check: RuleCheck, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await check.wave.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    keys.push(...(page.Contents ?? []).map((object) => object.Key!));
    token = page.NextContinuationToken;
  } while (token && keys.length < 10_000);
  return keys;
}

/** An S3 key that may hold `<hhmmss>`: found by listing the folder before it. */
async function findObject(check: RuleCheck, bucket: string, template: string): Promise<Found | undefined> {
  if (!template.includes('<hhmmss>')) return getObject(check, bucket, template);
  const before = template.slice(0, template.indexOf('<hhmmss>'));
  const pattern = templatePattern(template);
  const key = (await listKeys(check, bucket, before.slice(0, before.lastIndexOf('/') + 1))).find(
    (candidate) => pattern.test(candidate),
  );
  if (!key) return undefined;
  const found = await getObject(check, bucket, key);
  const time = pattern.exec(key)![1]!;
  assertProcessingTime(check, time, key);
  return found;
}

/** A `<hhmmss>` must lie between the flags' upload and now (the service's clock, one day). */
function assertProcessingTime(check: RuleCheck, hhmmss: string, where: string): void {
  // The service's own rendering of an instant, in its zone: `yyyyMMdd_HHmmss`.
  const clock = (date: Date) => dateStamps(date, check.wave.timeZone).compactDateTime.slice(9);
  const seconds = (text: string) =>
    Number(text.slice(0, 2)) * 3600 + Number(text.slice(2, 4)) * 60 + Number(text.slice(4, 6));
  const published = new Date(Math.floor(check.wave.flagsPublishedAt.getTime() / 1000) * 1000);
  const [from, to, at] = [clock(published), clock(new Date()), hhmmss].map(seconds) as [
    number,
    number,
    number,
  ];
  // Across midnight the window wraps.
  if (!(from <= to ? at >= from && at <= to : at >= from || at <= to)) {
    throw new Error(
      `${check.who}: the time ${hhmmss} in ${where} is not between the flags' upload (${clock(published)}) and now (${clock(new Date())})`,
    );
  }
}

/** What {@link locate} found: this run's file, or only an earlier run's under the same name. */
interface Located {
  readonly found?: Found | undefined;
  readonly stale?: Found | undefined;
}

/** Looks where an arrival cell points, until its deadline, for a file written during this run. */
async function locate(check: RuleCheck, cell: ArrivalCell): Promise<Located> {
  const { state } = check.target;
  // Stores keep whole seconds: anything from the second the flags went up on is this run's.
  const since = Math.floor(check.wave.flagsPublishedAt.getTime() / 1000) * 1000;
  let stale: Found | undefined;
  const look = async (): Promise<Found | undefined> => {
    switch (cell.kind) {
      case 's3':
        return findObject(check, cell.bucket, scopeDestinationKey(check.wave.scope, cell.key));
      case 'stub-hdfs':
        return findObject(check, state.nifi?.bucket ?? 'stub-hdfs-local', cell.key);
      case 'sft-file':
      case 'sft-error': {
        const file = path.join(state.sftRoot, cell.path);
        if (!existsSync(file)) return undefined;
        return {
          where: `${cell.path} under the SFT root`,
          name: path.basename(file),
          body: await readFile(file),
          metadata: {},
          modified: (await stat(file)).mtime,
        };
      }
      case 'nothing':
        return undefined;
    }
  };
  const found = await waitFor(
    async () => {
      const candidate = await look();
      if (candidate && candidate.modified.getTime() < since) {
        stale = candidate;
        return undefined;
      }
      return candidate;
    },
    {
      timeoutMs: deadlineSeconds(cell) * 1000,
      intervalMs: 100,
      description: renderArrival(cell),
    },
  ).catch(() => undefined);
  return { found, stale: found ? undefined : stale };
}

function deadlineSeconds(cell: ArrivalCell): number {
  return (cell.kind === 's3' ? S3_DEADLINE_MS : SFT_DEADLINE_MS) / 1000;
}

/** How a miss reads: nothing, or only an earlier run's copy. */
function missing(located: Located, seconds: number): string {
  return located.stale
    ? `only a copy from before this run is there (stored ${located.stale.modified.toISOString()}), nothing new within ${seconds} s`
    : `nothing arrived there within ${seconds} s`;
}

/** What a cell promises, as a failure words it ("should …"), scoped, with the target's stub-hdfs bucket. */
function promised(check: RuleCheck, cell: ArrivalCell): string {
  switch (cell.kind) {
    case 's3':
      return `arrive at s3://${cell.bucket}/${scopeDestinationKey(check.wave.scope, cell.key)}`;
    case 'stub-hdfs':
      return `arrive through the SFT agent and the stub NiFi at s3://${check.target.state.nifi?.bucket ?? 'stub-hdfs-local'}/${cell.key}`;
    case 'sft-file':
      return `stay in ${cell.path} under the SFT root (no agent route sends it on)`;
    case 'sft-error':
      return `end in the SFT agent's error folder at ${cell.path} under the SFT root`;
    case 'nothing':
      return 'arrive nowhere';
  }
}

/** What the service (and the SFT agent) did with an object instead, from the service's events. */
async function whatHappened(check: RuleCheck, sourceKey: string): Promise<string> {
  const all = await events(check);
  const said: string[] = [];
  for (const event of all) {
    if (event.type === 'transferred' && event.kind === 'data' && event.key === sourceKey) {
      const by = event.rule === check.scopedRuleKey ? 'the rule' : `the rule ${event.rule.split('|').at(-1)}`;
      if (event.rule === check.scopedRuleKey) check.explained.add(sftPathOf(event.destination));
      said.push(`${by} wrote it to ${describeDestination(event.destination)}`);
      if (event.destination.transferType === 'SFT') said.push(await sftWhereabouts(check, event.destination));
    }
    if (event.type === 'object-failed' && event.key === sourceKey)
      said.push(`the service failed it: ${event.reason}`);
  }
  const invalid = all.find(
    (event) =>
      event.type === 'invalid-rule' &&
      describeRuleKey({ sourcePrefix: event.sourcePrefix, pipelineName: event.pipelineName }) ===
        check.scopedRuleKey,
  );
  if (invalid?.type === 'invalid-rule') said.push(`the service reports the rule invalid: ${invalid.reason}`);
  if (said.length === 0) {
    const sample = [...check.wave.samples.values()].find((entry) => entry.key === sourceKey);
    const flag =
      sample &&
      check.wave.flags.find((entry) => entry.key === scopeSourceKey(check.wave.scope, sample.sample.flagKey));
    const outcome = flag && check.wave.outcomes.get(flag.key);
    said.push(
      outcome
        ? `the service did not send it: the message of its flag ${flag.key} was ${outcome.action} as "${outcome.reason}"`
        : 'the service did not send it',
    );
  }
  return [...new Set(said)].join('; ');
}

/** Where an SFT file went after the service wrote it: still there, an error folder, or stub-hdfs. */
async function sftWhereabouts(check: RuleCheck, destination: Extract<Destination, { transferType: 'SFT' }>) {
  const { state } = check.target;
  let file: string | undefined;
  try {
    file = resolveSftLocation(state.sftRoot, destination.directory, destination.fileName).file;
  } catch {
    file = undefined;
  }
  if (file && existsSync(file))
    return `it is still in ${path.dirname(path.relative(state.sftRoot, file))} under the SFT root`;
  const bucket = state.nifi?.bucket;
  if (!bucket) return 'the SFT agent took it';
  const keys = (await listKeys(check, bucket, '')).filter((key) => basename(key) === destination.fileName);
  return keys.length > 0
    ? `stub-hdfs holds it at ${keys.map((key) => `s3://${bucket}/${key}`).join(', ')}`
    : `the SFT agent took it, but stub-hdfs (s3://${bucket}) has no file named ${destination.fileName}`;
}

function ctr(key: Buffer, iv: Buffer, data: Buffer): Buffer {
  const decipher = createDecipheriv(`aes-${key.length * 8}-ctr`, key, iv);
  return Buffer.concat([decipher.update(data), decipher.final()]);
}

function decompress(body: Buffer, compression: 'gz' | 'z' | undefined): Buffer | string {
  try {
    if (compression === 'gz') return gunzipSync(body);
    if (compression === 'z') return inflateSync(body);
    return body;
  } catch (error) {
    return `it is not ${compression === 'gz' ? 'gzip' : 'zlib'} data (${(error as Error).message})`;
  }
}

/** A few readings of unexpected bytes, to say what arrived instead. */
function describeBytes(body: Buffer, published: PublishedSample): string {
  const readings: [string, () => Buffer][] = [
    ['the sample as published', () => published.body],
    ['the sample, decrypted', () => published.plaintext],
  ];
  for (const [name, bytes] of readings) if (body.equals(bytes())) return `${body.length} bytes: ${name}`;
  for (const [format, inflate] of [
    ['gzip', gunzipSync],
    ['zlib', inflateSync],
  ] as const) {
    try {
      const inflated = inflate(body);
      for (const [name, bytes] of readings)
        if (inflated.equals(bytes())) return `${body.length} bytes: ${format} of ${name}`;
    } catch {
      // not this format
    }
  }
  const text = body.subarray(0, 40).toString('utf8');
  return `${body.length} bytes, starting ${JSON.stringify(/^[\x20-\x7e\n]*$/.test(text) ? text : body.subarray(0, 16).toString('hex'))}`;
}

/** Why the bytes are not what the content cell says, or `undefined` when they are. */
async function contentProblem(
  check: RuleCheck,
  found: Found,
  content: Exclude<DataContentCell, { fails: string }>,
  published: PublishedSample,
): Promise<string | undefined> {
  const inner = decompress(found.body, content.compression);
  if (typeof inner === 'string') return inner;
  switch (content.handling) {
    case 'plain':
    case 'decrypt':
      return inner.equals(published.plaintext) ? undefined : 'its bytes are not the sample’s';
    case 'pass-through': {
      if (!inner.equals(published.body)) return 'its bytes are not the sample as published (still encrypted)';
      if (!content.keyMetadata) return undefined;
      for (const field of ['iv', 'ciphertext', 'datakeyencryptionkeyid']) {
        if (found.metadata[field] !== published.metadata[field]) {
          return `its metadata "${field}" is ${JSON.stringify(found.metadata[field])}, not the sample's ${JSON.stringify(published.metadata[field])}`;
        }
      }
      const dks = check.wave.dks;
      if (!dks) return 'no Data Key Service client to check the key metadata with';
      const key = await dks.decryptDataKey(
        found.metadata.datakeyencryptionkeyid!,
        found.metadata.ciphertext!,
      );
      return ctr(key, Buffer.from(found.metadata.iv!, 'base64'), inner).equals(published.plaintext)
        ? undefined
        : 'decrypted with the data key the Data Key Service gives for its metadata, it is not the sample';
    }
    case 'rewrap': {
      if (!inner.equals(published.body)) return 'its bytes are not the sample as published (still encrypted)';
      const plain = rewrappedPlaintext(check, inner, found.metadata, content.rewrapParameter ?? '');
      if (typeof plain === 'string') return plain;
      return plain.equals(published.plaintext)
        ? undefined
        : 'decrypted with the recipient’s private key, it is not the sample';
    }
  }
}

/**
 * What a recipient of re-wrapped data does: RSA-OAEP-SHA256 → Base64 text of the key → AES-CTR.
 * The key id in the metadata must be the one published in `parameter`.
 */
function rewrappedPlaintext(
  check: RuleCheck,
  body: Buffer,
  metadata: Record<string, string>,
  parameter: string,
): Buffer | string {
  const keyId = check.wave.recipient.keyIdFor(parameter);
  if (metadata.datakeyencryptionkeyid !== keyId) {
    return `its metadata names the key ${JSON.stringify(metadata.datakeyencryptionkeyid)}, not ${JSON.stringify(keyId)}, the one in SSM ${JSON.stringify(parameter)}`;
  }
  if (!metadata.ciphertext || !metadata.iv) return 'it has no "ciphertext" and "iv" metadata';
  try {
    const keyText = privateDecrypt(
      { key: check.wave.recipient.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      Buffer.from(metadata.ciphertext, 'base64'),
    ).toString('utf8');
    return ctr(Buffer.from(keyText, 'base64'), Buffer.from(metadata.iv, 'base64'), body);
  } catch (error) {
    return `the recipient's private key cannot unwrap its data key: ${(error as Error).message}`;
  }
}

/** A data row: the sample (or another rule's, under an overlapping prefix) arrives as the table says. */
export async function checkDataRow(
  check: RuleCheck,
  row: { file: string; writtenTo?: string | undefined; arrivesAt: string; content: DataContentCell },
): Promise<void> {
  const sourceKey = expandDatePlaceholders(row.file, check.wave.stamps);
  const published = check.wave.samples.get(`${check.rule.sourceBucket}\u0000${sourceKey}`);
  if (!published) {
    const own = [...check.wave.samples.values()].find(
      (entry) =>
        describeRuleKey({
          sourcePrefix: entry.sample.record.item.source_prefix,
          pipelineName: entry.sample.record.item.pipeline_name,
        }) === describeRuleKey(check.rule.key),
    );
    throw new Error(
      `${check.who}: the feature expects an object s3://${check.rule.sourceBucket}/${sourceKey}, but no rule of the rules file has its sample there any more${own ? ` (this rule's sample is now s3://${own.sample.bucket}/${own.sample.dataKey}, ${own.sample.encryption === 'htme' ? 'HTME-encrypted' : 'plain'})` : ''}: the rules changed since the feature was generated, so regenerate it (npx egress routes scenarios)`,
    );
  }
  const object = `s3://${published.sample.bucket}/${published.key}`;
  if (published.error)
    throw new Error(`${check.who}: the object ${object} could not be published: ${published.error}`);
  if ('fails' in row.content) {
    await checkFailure(check, published, row.content.fails);
    return;
  }
  const cell = parseArrival(expandDatePlaceholders(row.arrivesAt, check.wave.stamps));
  const expected = `${promised(check, cell)} as ${renderDataContent(row.content)}`;
  // Where the service wrote it is final once its flag's message was handled: a wrong place fails
  // at once, without waiting for an arrival that cannot come.
  const write = expectedWrite(check, { writtenTo: row.writtenTo, arrivesAt: row.arrivesAt });
  if (write !== undefined) {
    const written = (await events(check)).flatMap((event) =>
      event.type === 'transferred' && event.rule === check.scopedRuleKey && event.key === published.key
        ? [sftPathOf(event.destination)]
        : [],
    );
    if (!written.some((place) => sameTemplate(write, place))) {
      throw new Error(
        `${check.who}: the object ${object} should ${expected}${row.writtenTo !== undefined ? `, written to ${write} first` : ''}, but the service did not write it there. Instead: ${await whatHappened(check, published.key)}.`,
      );
    }
  }
  const located = await locate(check, cell);
  const { found } = located;
  if (!found) {
    throw new Error(
      `${check.who}: the object ${object} should ${expected}, but ${missing(located, deadlineSeconds(cell))}. Instead: ${await whatHappened(check, published.key)}.`,
    );
  }
  const problem = await contentProblem(check, found, row.content, published);
  if (problem) {
    throw new Error(
      `${check.who}: the object ${object} arrived at ${found.where}, but ${problem}: expected ${renderDataContent(row.content)}, got ${describeBytes(found.body, published)}.`,
    );
  }
  check.delivered.set(found.name, found.body.length);
}

/** A destination as a `written to` cell names it: an SFT path from the root, or an S3 URL. */
function sftPathOf(destination: Destination): string {
  if (destination.transferType === 'S3') return `s3://${destination.bucket}/${destination.key}`;
  try {
    return resolveSftLocation('/', destination.directory, destination.fileName).file;
  } catch {
    return describeDestination(destination);
  }
}

/** A `fails: <reason>` row: the service reported the object failed, with that reason. */
async function checkFailure(check: RuleCheck, published: PublishedSample, reason: string): Promise<void> {
  const scopedReason = reason.replaceAll(published.sample.dataKey, published.key);
  const failure = await waitFor(
    async () =>
      (await events(check)).find((event) => event.type === 'object-failed' && event.key === published.key),
    { timeoutMs: S3_DEADLINE_MS, intervalMs: 100, description: `a failure of ${published.key}` },
  ).catch(() => undefined);
  if (failure?.type !== 'object-failed') {
    throw new Error(
      `${check.who}: the object s3://${published.sample.bucket}/${published.key} should fail (${reason}), but the service reported no failure. Instead: ${await whatHappened(check, published.key)}.`,
    );
  }
  if (!failure.reason.includes(reason) && !failure.reason.includes(scopedReason)) {
    throw new Error(
      `${check.who}: the object s3://${published.sample.bucket}/${published.key} failed, but with "${failure.reason}", not "${reason}".`,
    );
  }
}

/** A completion file's expected lines, `<hhmmss>` left as a pattern. */
function expectedLines(lines: readonly string[]): string {
  return lines.map((line) => `${line}\n`).join('');
}

/** A control file row: it arrives, listing these names in this order. */
export async function checkControlRow(
  check: RuleCheck,
  row: { writtenTo?: string | undefined; arrivesAt: string; entries: readonly string[] },
): Promise<void> {
  const cell = parseArrival(expandDatePlaceholders(row.arrivesAt, check.wave.stamps));
  await assertCompletionWritten(check, 'control', row);
  const located = await locate(check, cell);
  const { found } = located;
  const entries = row.entries.map((entry) => expandDatePlaceholders(entry, check.wave.stamps));
  if (!found) {
    throw new Error(
      `${check.who}: its control file should ${promised(check, cell)}, but ${missing(located, deadlineSeconds(cell))}. Instead: ${await completionWrites(check, 'control')}.`,
    );
  }
  const text = found.body.toString('utf8');
  if (!sameTemplate(expectedLines(entries), text)) {
    throw new Error(
      `${check.who}: its control file ${found.where} should list ${JSON.stringify(entries)}, one per line, but it holds ${JSON.stringify(text)}.`,
    );
  }
}

/** The service wrote the control file or manifest where the row says (final once the flag was handled). */
async function assertCompletionWritten(
  check: RuleCheck,
  kind: 'control' | 'manifest',
  row: { writtenTo?: string | undefined; arrivesAt: string },
): Promise<void> {
  const write = expectedWrite(check, row);
  if (write === undefined) return;
  const written = (await events(check)).some(
    (event) =>
      event.type === 'transferred' &&
      event.rule === check.scopedRuleKey &&
      event.kind === kind &&
      sameTemplate(write, sftPathOf(event.destination)),
  );
  if (!written) {
    const what = kind === 'control' ? 'its control file' : 'its manifest';
    throw new Error(
      `${check.who}: ${what} should be written to ${write}, but it was not. Instead: ${await completionWrites(check, kind)}.`,
    );
  }
}

async function completionWrites(check: RuleCheck, kind: 'control' | 'manifest'): Promise<string> {
  const writes = (await events(check)).filter(
    (event): event is Extract<PipelineEvent, { type: 'transferred' }> =>
      event.type === 'transferred' && event.rule === check.scopedRuleKey && event.kind === kind,
  );
  for (const event of writes) check.explained.add(sftPathOf(event.destination));
  return writes.length > 0
    ? `the service wrote it to ${[...new Set(writes.map((event) => describeDestination(event.destination)))].join(', ')}`
    : `the service wrote no ${kind === 'control' ? 'control file' : 'manifest'} for the rule`;
}

/** A manifest row: it arrives, readable with the test's keys, naming each delivered file and its size. */
export async function checkManifestRow(
  check: RuleCheck,
  row: { writtenTo?: string | undefined; arrivesAt: string; manifest: ManifestCell },
): Promise<void> {
  const cell = parseArrival(expandDatePlaceholders(row.arrivesAt, check.wave.stamps));
  await assertCompletionWritten(check, 'manifest', row);
  const located = await locate(check, cell);
  const { found } = located;
  if (!found) {
    throw new Error(
      `${check.who}: its manifest should ${promised(check, cell)}, but ${missing(located, deadlineSeconds(cell))}. Instead: ${await completionWrites(check, 'manifest')}.`,
    );
  }
  const fail = (problem: string) => new Error(`${check.who}: its manifest ${found.where} ${problem}.`);
  const { manifest } = row;
  if (manifest.entries === undefined) {
    if (found.body.subarray(0, 2).toString('hex') === '1f8b')
      throw fail('should be encrypted, but it is a bare gzip stream');
    return;
  }
  if (manifest.dataProduct) {
    // The embedded S3 drops empty metadata values that real S3 keeps: absent reads as "".
    const product = { name: found.metadata.data_product ?? '', type: found.metadata.data_product_type ?? '' };
    if (product.name !== manifest.dataProduct.name || product.type !== manifest.dataProduct.type) {
      throw fail(
        `should be for data product ${JSON.stringify(manifest.dataProduct)}, but its metadata says ${JSON.stringify(product)}`,
      );
    }
  }
  let gzipped = found.body;
  if (manifest.encryption === 'encrypted') {
    const { metadata } = found;
    if (!metadata.datakeyencryptionkeyid || !metadata.ciphertext || !metadata.iv) {
      throw fail(
        `should carry its Data Key Service key in its metadata, but it has ${JSON.stringify(metadata)}`,
      );
    }
    const key = await check.wave.dks!.decryptDataKey(metadata.datakeyencryptionkeyid, metadata.ciphertext);
    gzipped = ctr(key, Buffer.from(metadata.iv, 'base64'), found.body);
  } else if (manifest.encryption === 'rewrapped') {
    const plain = rewrappedPlaintext(check, found.body, found.metadata, manifest.rewrapParameter ?? '');
    if (typeof plain === 'string') throw fail(`cannot be read by the recipient: ${plain}`);
    gzipped = plain;
  }
  const text = decompress(gzipped, 'gz');
  if (typeof text === 'string') throw fail(`cannot be read: ${text}`);
  const lines = text.toString('utf8');
  const scoped = (entry: string) =>
    check.rule.transferType === 'S3' ? scopeDestinationKey(check.wave.scope, entry) : entry;
  const expected = manifest.entries.map((entry) => {
    const name = scoped(expandDatePlaceholders(entry, check.wave.stamps));
    const size = check.delivered.get(basename(name));
    return `${name}  ${size ?? '<size>'} ${check.wave.stamps.isoDate}`;
  });
  const pattern = templatePattern(expectedLines(expected)).source.replaceAll('<size>', '\\d+');
  if (!new RegExp(pattern).test(lines)) {
    throw fail(
      `should list ${JSON.stringify(expected)} (name, two spaces, bytes delivered, the day), but it holds ${JSON.stringify(lines)}`,
    );
  }
}

/**
 * Everything the rule wrote must be in its table: a file the service wrote that no row expects is
 * a difference too (checked after the rows, once every write of the flag's message is known).
 */
export async function checkNothingElse(check: RuleCheck, expectedWrites: readonly string[]): Promise<void> {
  const writes = (await events(check)).filter(
    (event): event is Extract<PipelineEvent, { type: 'transferred' }> =>
      event.type === 'transferred' && event.rule === check.scopedRuleKey,
  );
  const unexpected = [
    ...new Set(
      writes
        .map((event) => sftPathOf(event.destination))
        .filter((written) => !expectedWrites.some((template) => sameTemplate(template, written)))
        .filter((written) => !check.explained.has(written)),
    ),
  ];
  if (unexpected.length > 0) {
    throw new Error(
      `${check.who}: it also wrote ${unexpected.join(', ')}, which the feature does not expect.`,
    );
  }
}

/** The write a row expects, in the form {@link checkNothingElse} compares (scoped, dates expanded). */
export function expectedWrite(
  check: RuleCheck,
  row: { writtenTo?: string | undefined; arrivesAt: string },
): string | undefined {
  if (row.writtenTo !== undefined) return expandDatePlaceholders(row.writtenTo, check.wave.stamps);
  const cell = parseArrival(expandDatePlaceholders(row.arrivesAt, check.wave.stamps));
  return cell.kind === 's3'
    ? `s3://${cell.bucket}/${scopeDestinationKey(check.wave.scope, cell.key)}`
    : undefined;
}

/** The first outcome of a flag's message (scoped key), or why there is none. */
export function flagOutcome(check: { wave: RuleSetWave; who: string }, flagKey: string) {
  const scopedFlag = scopeSourceKey(check.wave.scope, expandDatePlaceholders(flagKey, check.wave.stamps));
  const flag = check.wave.flags.find((entry) => entry.key === scopedFlag);
  if (!flag) {
    throw new Error(
      `${check.who}: the feature names the flag ${flagKey}, but no rule's sample is fired by it any more: the rules changed since the feature was generated, so regenerate it (npx egress routes scenarios)`,
    );
  }
  if (flag.error)
    throw new Error(
      `${check.who}: its flag s3://${flag.bucket}/${flag.key} could not be published: ${flag.error}`,
    );
  const outcome = check.wave.outcomes.get(flag.key);
  if (!outcome) {
    throw new Error(
      `${check.who}: the message of its flag s3://${flag.bucket}/${flag.key} was not handled within ${Math.round(check.wave.waitedMs / 1000)} s (does the bucket notify the egress queue?)`,
    );
  }
  return { flag, outcome };
}
