import { generateKeyPairSync } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CUT_ATTACKS,
  type CutPoint,
  cutRequest,
  type EdgeFixtures,
  edgeAnswers,
  jsonRequest,
  rawHttp,
} from '../../scripts/chaos/edge-attacks.ts';
import { LEVEL, LogCapture, type LogLine } from '../../scripts/chaos/logs.ts';
import { TcpProxy } from '../../scripts/chaos/tcp-proxy.ts';
import { type ChaosEnvironment, ChaosWorld, startChaosEnvironment } from '../../scripts/chaos/world.ts';
import { createBucket } from '../../src/aws/buckets.ts';
import { createSsmClient } from '../../src/aws/clients.ts';
import type { NotificationRecord, S3WriteRecord } from '../../src/edge/index.ts';
import {
  createDksEgressCrypto,
  DataKeyServiceClient,
  encryptCseV2,
  encryptHtme,
  htmeMetadata,
  type OwnedEgressCrypto,
} from '../../src/egress/crypto/index.ts';
import type { EgressEvents } from '../../src/egress/observability/events.ts';
import { type EgressService, startEgressService } from '../../src/egress/service.ts';
import { generateCertificates } from '../../src/tls/certificates.ts';
import { waitFor } from '../../src/util/wait.ts';
import { type DksStub, startDksStub } from '../../stubs/dks/index.ts';
import { type StubNifi, startStubNifi } from '../../stubs/nifi/index.ts';
import { type DksFront, GARBAGE_KEY_IDS, startDksFront } from './support/dks-front.ts';

/*
 * THE BAD-INPUT CORPUS. One egress service (in process, with the crypto built by the service's own
 * `createDksEgressCrypto`) on one queue whose messages are limited to 256 KiB, a DKS front that
 * answers garbage for some key ids and forwards the rest to the stub DKS, a stub NiFi with a small
 * body limit, and an SFT root inside a directory whose other contents must never change.
 *
 * Every row: send the bad input; on its FIRST processing check the outcome (dead-lettered, left for
 * retry, acknowledged) and that exactly one log line explains it with its context; then send a good
 * flag for the same row and see it delivered — the service keeps serving. Stub rows send the bad
 * request straight to the stub, check the answer, that nothing was stored, and that a good request
 * still works. At the end: nothing was written outside sftRoot, nothing reached the bucket that
 * invalid rules name, every bad message has left the queue (deleted or dead-lettered), no key
 * material is in any log, and the service is healthy.
 *
 * Rows run concurrently in `beforeAll` (their own prefixes, rules and SQS messages); each row's
 * verdict is one `it` below. A row marked `bug` documents a defect found here: it runs as
 * `it.fails` until the defect is fixed (see the row's comment).
 */

// ── the corpus world ───────────────────────────────────────────────────────────────────────────

interface FirstProcessing {
  event: EgressEvents['message_processed'];
  /** How many log lines existed when the first processing ended (lines of later attempts excluded). */
  lineCount: number;
}

interface Corpus {
  environment: ChaosEnvironment;
  world: ChaosWorld;
  service: EgressService;
  crypto: OwnedEgressCrypto;
  dksStub: DksStub;
  front: DksFront;
  /** Makes fixtures (HTME / CSE objects) with real DKS data keys. */
  producer: DataKeyServiceClient;
  nifi: StubNifi;
  nifiBucket: string;
  ssm: SSMClient;
  /** Bucket named by the invalid rules: nothing may ever be written there. */
  untouched: string;
  first: Map<string, FirstProcessing>;
  writes: S3WriteRecord[];
  /** Every bucket notification the edge sent (or tried to). */
  notifications: NotificationRecord[];
  /** Every plaintext or wrapped key used by fixtures. */
  keyMaterial: string[];
}

let c: Corpus;

const NIFI_MAX_BODY = 64 * 1024;

function flagBody(key: string, bucket?: string): string {
  const encoded = encodeURIComponent(key).replace(/%2F/g, '/');
  return JSON.stringify({
    Records: [
      {
        eventName: 'ObjectCreated:Put',
        s3: { ...(bucket ? { bucket: { name: bucket } } : {}), object: { key: encoded } },
      },
    ],
  });
}

const badPrefix = (id: string) => `corpus/${id}/bad/`;
const badFlag = (id: string) => flagBody(`${badPrefix(id)}pipeline_success.flag`);

async function putRule(item: Record<string, unknown>): Promise<void> {
  await c.world.documents.send(new PutCommand({ TableName: c.world.table, Item: item }));
}

/** A rule on the row's bad prefix (S3 to the good bucket unless overridden). */
function badRule(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    source_prefix: badPrefix(id),
    pipeline_name: 'BAD',
    recipient_name: 'corpus',
    transfer_type: 'S3',
    source_bucket: c.world.targets.sourceBucket,
    destination_bucket: c.world.targets.destinationBucket,
    destination_prefix: `bad/${id}/`,
    ...overrides,
  };
}

async function putBad(id: string, name: string, body: Buffer | string, metadata?: Record<string, string>) {
  await c.world.put(`${badPrefix(id)}${name}`, body, c.world.targets.sourceBucket, metadata);
}

/** A real HTME object: AES-CTR under a fresh data key from the stub DKS. */
async function htme(plaintext: string): Promise<{ body: Buffer; metadata: Record<string, string> }> {
  const dataKey = await c.producer.generateDataKey();
  c.keyMaterial.push(dataKey.plaintextDataKey.toString('base64'), dataKey.encryptedDataKey);
  const { body, envelope } = encryptHtme(Buffer.from(plaintext), dataKey);
  return { body, metadata: htmeMetadata(envelope) };
}

/** A real CSE V2 object whose master key is a DKS data key (matdesc `keyid` + `encryptedkey`). */
async function cse(plaintext: string): Promise<{ body: Buffer; metadata: Record<string, string> }> {
  const dataKey = await c.producer.generateDataKey();
  c.keyMaterial.push(dataKey.plaintextDataKey.toString('base64'), dataKey.encryptedDataKey);
  return encryptCseV2(Buffer.from(plaintext), dataKey.plaintextDataKey, {
    keyid: dataKey.keyEncryptionKeyId,
    encryptedkey: dataKey.encryptedDataKey,
  });
}

async function objectBytes(bucket: string, key: string): Promise<Buffer | undefined> {
  const response = await c.world.s3
    .send(new GetObjectCommand({ Bucket: bucket, Key: key }))
    .catch(() => undefined);
  return response ? Buffer.from(await response.Body!.transformToByteArray()) : undefined;
}

async function exists(file: string): Promise<boolean> {
  return lstat(file).then(
    () => true,
    () => false,
  );
}

/** Issue 12 item 9: an SFT file the service wrote is 0600, the directory it created for it 0700. */
async function modeProblems(file: string): Promise<string[]> {
  const problems: string[] = [];
  for (const [entry, wanted] of [
    [file, 0o600],
    [path.dirname(file), 0o700],
  ] as const) {
    const mode = (await lstat(entry)).mode & 0o777;
    if (mode !== wanted)
      problems.push(`${path.basename(entry)}: mode ${mode.toString(8)}, expected ${wanted.toString(8)}`);
  }
  return problems;
}

/** A directory next to sftRoot that a row points symbolic links at; it must stay as it is. */
async function sentinel(id: string): Promise<string> {
  const directory = path.join(c.world.parentDir, `outside-${id}`);
  await mkdir(directory, { recursive: true });
  await writeFile(path.join(directory, 'victim.txt'), 'victim');
  return directory;
}

async function sentinelProblems(id: string): Promise<string[]> {
  const directory = path.join(c.world.parentDir, `outside-${id}`);
  const entries = await readdir(directory);
  const problems = entries
    .filter((entry) => entry !== 'victim.txt')
    .map((entry) => `created outside sftRoot: ${entry}`);
  if ((await readFile(path.join(directory, 'victim.txt'), 'utf8')) !== 'victim') {
    problems.push('the file outside sftRoot was modified');
  }
  return problems;
}

// ── rows ───────────────────────────────────────────────────────────────────────────────────────

type Outcome =
  | { action: 'deleted'; reason: 'dead-lettered' | 'no-match' | 'no-flags' | 'completed' }
  | { action: 'retained'; reason: 'failed' | 'malformed' }
  /** SQS itself refuses the message; the service never sees it. */
  | { action: 'send-refused' };

interface ServiceRow {
  kind: 'service';
  group: string;
  name: string;
  /** Puts what the row needs under its id; returns the SQS body to send. */
  prepare(id: string): Promise<string>;
  outcome: Outcome;
  /**
   * The one log line that explains the row (first processing only): its level at least `level`, its
   * `msg` matching `msg`, its whole JSON matching `text`, and each `context` field present.
   * `errors`: how many error-level lines the first processing writes for this message in all.
   */
  log?: LogExpectation;
  /** Further checks after the row ran; returns problems. */
  check?(id: string): Promise<string[]>;
  /** A defect this row exposes; the row runs as `it.fails` until it is fixed. */
  bug?: string;
}

interface StubAnswer {
  status?: number;
  /** The connection failed (TLS refusal). */
  error?: string;
}

interface StubRow {
  kind: 'stub';
  group: string;
  name: string;
  send(id: string): Promise<StubAnswer>;
  /** An HTTP status, or `tls` for a refused handshake. */
  expect: number | 'tls';
  /** The stub's log line for it. */
  log: { level: number; match: (line: LogLine, id: string) => boolean };
  /** Something was stored for this row? (must not be) */
  stored(id: string): Promise<string[]>;
  /** A good request afterwards; true when it worked. */
  good(id: string): Promise<boolean>;
}

/** An attack on the embedded AWS edge itself (issue 12): cut-off, cross-site and path-trick requests. */
interface EdgeRow {
  kind: 'edge';
  group: string;
  name: string;
  /**
   * The attack; the edge's HTTP status, `cut` when the client hangs up by design, `outage` when the
   * endpoint itself goes away by design.
   */
  send(id: string): Promise<number | 'cut' | 'outage'>;
  expect: number | 'cut' | 'outage';
  /** What the attack must not have done (an object replaced or deleted, an item written…). */
  check(id: string): Promise<string[]>;
  /** What was measured, for the corpus report. */
  evidence?(id: string): string | undefined;
}

type Row = ServiceRow | StubRow | EdgeRow;

interface LogExpectation {
  level: number;
  msg: RegExp;
  text: RegExp;
  context: string[];
  errors: number;
}

/** The explaining line of an object that failed: error level, with the message's key, rule and reason. */
const objectFailure = (text: RegExp): LogExpectation => ({
  level: LEVEL.error,
  msg: /^failed to egress object$/,
  text,
  context: ['key', 'rule', 'reason'],
  errors: 1,
});
const retained = { action: 'retained', reason: 'failed' } as const;
const deadLettered = { action: 'deleted', reason: 'dead-lettered' } as const;
/** Malformed bodies: `malformed message` (the reason) and `message sent to the dead-letter queue` (where). */
const malformed = (text: RegExp) => ({
  outcome: deadLettered,
  log: { level: LEVEL.error, msg: /^malformed message$/, text, context: ['messageId', 'reason'], errors: 2 },
});
/** An invalid routing item matched by the flag: a warning naming the flag, the item and the reason. */
const invalidRule = (
  item: (id: string) => Record<string, unknown>,
  pattern: RegExp,
): Omit<ServiceRow, 'name'> => ({
  kind: 'service',
  group: 'rule item',
  async prepare(id) {
    await putRule({ ...badRule(id, { destination_bucket: c.untouched }), ...item(id) });
    await putBad(id, 'data.csv', 'never sent');
    return badFlag(id);
  },
  outcome: { action: 'deleted', reason: 'no-match' },
  log: {
    level: LEVEL.warn,
    msg: /^flag matches an invalid routing item/,
    text: pattern,
    context: ['key', 'sourcePrefix', 'pipelineName', 'reason'],
    errors: 0,
  },
});
/** An SFT rule whose object must be refused because its path would leave (or break) sftRoot. */
const sftRefused = (
  rule: (id: string) => Record<string, unknown>,
  key: string,
  pattern: RegExp,
  extra: Partial<ServiceRow> = {},
): Omit<ServiceRow, 'name'> => ({
  kind: 'service',
  group: 'escape',
  async prepare(id) {
    await putRule(badRule(id, { transfer_type: 'SFT', destination_bucket: undefined, ...rule(id) }));
    await putBad(id, key, `escape attempt ${id}`);
    return badFlag(id);
  },
  outcome: retained,
  log: objectFailure(pattern),
  ...extra,
});
/** An S3 decrypt rule whose one object has bad encryption metadata (or a broken DKS answer). */
const cryptoRefused = (
  object: (id: string) => Promise<{ body: Buffer | string; metadata: Record<string, string> }>,
  pattern: RegExp,
  rule: (id: string) => Record<string, unknown> = () => ({ decrypt: true }),
): Omit<ServiceRow, 'name'> => ({
  kind: 'service',
  group: 'crypto',
  async prepare(id) {
    await putRule(badRule(id, rule(id)));
    const { body, metadata } = await object(id);
    await putBad(id, 'secret.csv.enc', body, metadata);
    return badFlag(id);
  },
  outcome: retained,
  log: objectFailure(pattern),
  async check(id) {
    const written = (await c.world.listKeys(c.world.targets.destinationBucket)).filter((key) =>
      key.startsWith(`bad/${id}/`),
    );
    return written.length > 0 ? [`written despite the failure: ${written.join(', ')}`] : [];
  },
});
const withMetadata = (changes: Record<string, string | undefined>) => async (id: string) => {
  const object = await htme(`secret of ${id}`);
  const metadata = { ...object.metadata };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete metadata[name];
    else metadata[name] = value;
  }
  return { body: object.body, metadata };
};
const withCseMetadata = (changes: Record<string, string>) => async (id: string) => {
  const object = await cse(`cse secret of ${id}`);
  return { body: object.body, metadata: { ...object.metadata, ...changes } };
};
/** IV text of 16 bytes whose Base64 has `+` and `/`, to make a URL-safe variant. */
const IV_WITH_SYMBOLS = Buffer.from('fb'.repeat(16), 'hex');
const rewrap = (value: string | undefined, pattern: RegExp) =>
  cryptoRefused(
    async (id) => {
      if (value !== undefined) {
        await c.ssm.send(
          new PutParameterCommand({
            Name: `/corpus/${id}/key`,
            Value: value,
            Type: 'SecureString',
            Overwrite: true,
          }),
        );
      }
      return htme(`rewrap secret of ${id}`);
    },
    pattern,
    (id) => ({ rewrap_datakey: true, encrypting_key_ssm_parm_name: `/corpus/${id}/key` }),
  );

const EC_PUBLIC_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .publicKey.export({ type: 'spki', format: 'der' })
  .toString('base64');

const ROWS: Row[] = [
  // ── SQS bodies ──
  {
    kind: 'service',
    group: 'SQS body',
    name: 'not JSON',
    prepare: async () => '{"Records": [',
    ...malformed(/not JSON/),
  },
  { kind: 'service', group: 'SQS body', name: 'blank', prepare: async () => '   ', ...malformed(/empty/) },
  {
    kind: 'service',
    group: 'SQS body',
    name: 'JSON null',
    prepare: async () => 'null',
    ...malformed(/not a JSON object/),
  },
  {
    kind: 'service',
    group: 'SQS body',
    name: 'JSON array',
    prepare: async () => '[{"Records":[]}]',
    ...malformed(/not a JSON object/),
  },
  {
    kind: 'service',
    group: 'SQS body',
    name: 'JSON string',
    prepare: async () => '"Records"',
    ...malformed(/not a JSON object/),
  },
  {
    kind: 'service',
    group: 'SQS body',
    name: 'no Records',
    prepare: async () => '{"records":[]}',
    ...malformed(/no Records/),
  },
  {
    kind: 'service',
    group: 'SQS body',
    name: 'SNS envelope',
    prepare: async (id) => JSON.stringify({ Type: 'Notification', Message: badFlag(id) }),
    ...malformed(/SNS envelope/),
  },
  {
    kind: 'service',
    group: 'SQS body',
    name: 'Records not an array',
    prepare: async () => '{"Records":{"0":{}}}',
    ...malformed(/Records is not an array/),
  },
  {
    kind: 'service',
    group: 'SQS body',
    name: 'a record that is a number',
    prepare: async () => '{"Records":[42]}',
    ...malformed(/Records\[0\] is not an object/),
  },
  {
    kind: 'service',
    group: 'SQS body',
    name: 'key of the wrong type (number): acknowledged, logged as ignored',
    prepare: async () => '{"Records":[{"eventName":"ObjectCreated:Put","s3":{"object":{"key":42}}}]}',
    outcome: { action: 'deleted', reason: 'no-flags' },
    log: {
      level: LEVEL.info,
      msg: /^S3 event record ignored$/,
      text: /record has no s3\.object\.key/,
      context: ['messageId', 'reason'],
      errors: 0,
    },
  },
  {
    kind: 'service',
    group: 'SQS body',
    name: 'key with broken percent-encoding',
    prepare: async (id) =>
      JSON.stringify({
        Records: [{ s3: { object: { key: `corpus/${id}/%E0%A4%A/pipeline_success.flag` } } }],
      }),
    ...malformed(/not URL-encoded correctly/),
  },
  {
    kind: 'service',
    group: 'SQS body',
    name: '100 000 nested arrays (200 KB)',
    prepare: async () => `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
    ...malformed(/not a JSON object/),
  },
  {
    kind: 'service',
    group: 'SQS body',
    name: 'over 256 KiB: refused by SQS itself',
    prepare: async () => 'x'.repeat(256 * 1024 + 1),
    outcome: { action: 'send-refused' },
  },
  {
    kind: 'service',
    group: 'SQS body',
    name: '255 KiB that is not JSON',
    prepare: async () => `not json ${'x'.repeat(255 * 1024)}`,
    ...malformed(/not JSON/),
  },
  {
    kind: 'service',
    group: 'SQS body',
    name: '256 KiB less 16 bytes, not JSON: too big to forward to the DLQ with its reason attributes',
    prepare: async () => `not json ${'x'.repeat(256 * 1024 - 16 - 9)}`,
    // The DLQ refuses body + reason attributes; the message stays for the queue's redrive policy,
    // which moves it to the DLQ after maxReceiveCount receives (without the reason attribute).
    // Errors: `malformed message` and `could not send to the dead-letter queue`.
    outcome: { action: 'retained', reason: 'malformed' },
    log: {
      level: LEVEL.error,
      msg: /^malformed message$/,
      text: /not JSON/,
      context: ['messageId', 'reason'],
      errors: 2,
    },
  },
  {
    kind: 'service',
    group: 'SQS body',
    name: '250 KiB valid event: 2 900 records, none a flag',
    prepare: async (id) =>
      JSON.stringify({
        Records: Array.from({ length: 2_900 }, (_, index) => ({
          eventName: 'ObjectCreated:Put',
          s3: { object: { key: `corpus/${id}/x-${index}.csv` } },
        })),
      }),
    outcome: { action: 'deleted', reason: 'no-flags' },
    // Not one line: one info line PER RECORD (log amplification: ~300 bytes of log per 85 bytes of
    // input). Counted here so that a change is noticed.
    log: {
      level: LEVEL.info,
      msg: /^S3 event record ignored$/,
      text: /"record":2899,/,
      context: ['messageId', 'key', 'reason'],
      errors: 0,
    },
    async check(id) {
      const lines = c.world.logs.lines.filter(
        (line) => line.msg === 'S3 event record ignored' && String(line.key).startsWith(`corpus/${id}/`),
      ).length;
      return lines === 2_900 ? [] : [`expected 2 900 "S3 event record ignored" lines, got ${lines}`];
    },
  },

  // ── routing items ──
  { name: 'missing transfer_type', ...invalidRule(() => ({ transfer_type: undefined }), /transfer_type/) },
  { name: 'missing source_bucket', ...invalidRule(() => ({ source_bucket: undefined }), /source_bucket/) },
  {
    name: 'S3 without destination_bucket',
    ...invalidRule(() => ({ destination_bucket: undefined }), /destination_bucket/),
  },
  {
    name: 'decrypt as the string "true"',
    ...invalidRule(() => ({ decrypt: 'true' }), /decrypt.*expected a boolean/),
  },
  { name: 'compress as a number', ...invalidRule(() => ({ compress: 1 }), /compress.*expected a boolean/) },
  {
    name: 'unknown transfer_type FTP',
    ...invalidRule(() => ({ transfer_type: 'FTP' }), /unknown transfer type/),
  },
  {
    name: 'compress_fmt zip',
    ...invalidRule(() => ({ compress: true, compress_fmt: 'zip' }), /compress_fmt/),
  },
  {
    name: 'manifest_file_encryption typo',
    ...invalidRule(() => ({ manifest_file_encryption: 'encrpyted' }), /unknown manifest encryption/),
  },
  {
    name: 'destination_prefix as a number',
    ...invalidRule(() => ({ destination_prefix: 42 }), /destination_prefix/),
  },
  { name: 'role_arn as a list', ...invalidRule(() => ({ role_arn: ['arn:aws:iam::1:role/x'] }), /role_arn/) },
  {
    name: 'decrypt and rewrap_datakey both true on S3',
    ...invalidRule(
      () => ({ decrypt: true, rewrap_datakey: true, encrypting_key_ssm_parm_name: '/x' }),
      /rewrap_datakey/,
    ),
  },
  { name: 'timestamp_files as "yes"', ...invalidRule(() => ({ timestamp_files: 'yes' }), /timestamp_files/) },

  // ── keys, prefixes and names that try to escape ──
  {
    name: 'destination_prefix /data-egress/../../x/',
    ...sftRefused(() => ({ destination_prefix: '/data-egress/../../x/' }), 'data.csv', /'\.\.' segment/),
  },
  {
    name: 'relative destination_prefix ../x',
    ...sftRefused(() => ({ destination_prefix: '../x' }), 'data.csv', /'\.\.' segment/),
  },
  {
    name: 'NUL in destination_prefix',
    ...sftRefused(() => ({ destination_prefix: '/data-egress/a\u0000b/' }), 'data.csv', /NUL/),
  },
  {
    name: 'source key ending in /..',
    ...sftRefused((id) => ({ destination_prefix: `/corpus/${id}/` }), 'x/..', /not a usable file name/),
  },
  {
    name: 'NUL in the source key (SFT)',
    ...sftRefused((id) => ({ destination_prefix: `/corpus/${id}/` }), 'a\u0000b.csv', /NUL/),
  },
  {
    kind: 'service',
    group: 'escape',
    name: 'NUL in the source key (S3)',
    async prepare(id) {
      await putRule(badRule(id));
      await putBad(id, 'a\u0000b.csv', 'nul');
      return badFlag(id);
    },
    outcome: retained,
    log: objectFailure(/contains NUL/),
  },
  {
    name: 'a file name longer than 255 bytes',
    ...sftRefused(
      (id) => ({ destination_prefix: `/corpus/${id}/` }),
      `${'n'.repeat(300)}.csv`,
      /ENAMETOOLONG|name too long/,
    ),
  },
  {
    name: 'directory that is a symbolic link out of sftRoot',
    ...sftRefused((id) => ({ destination_prefix: `/link-${id}/` }), 'data.csv', /would leave the SFT root/, {
      async prepare(id) {
        await symlink(await sentinel(id), path.join(c.world.sftRoot, `link-${id}`));
        await putRule(
          badRule(id, {
            transfer_type: 'SFT',
            destination_bucket: undefined,
            destination_prefix: `/link-${id}/`,
          }),
        );
        await putBad(id, 'data.csv', 'escape attempt');
        return badFlag(id);
      },
      check: sentinelProblems,
    }),
  },
  {
    name: 'directory BELOW a symbolic link out of sftRoot',
    ...sftRefused(
      (id) => ({ destination_prefix: `/link-${id}/sub/` }),
      'data.csv',
      /would leave the SFT root/,
      {
        async prepare(id) {
          await symlink(await sentinel(id), path.join(c.world.sftRoot, `link-${id}`));
          await putRule(
            badRule(id, {
              transfer_type: 'SFT',
              destination_bucket: undefined,
              destination_prefix: `/link-${id}/sub/`,
            }),
          );
          await putBad(id, 'data.csv', 'escape attempt');
          return badFlag(id);
        },
        // writeToSft creates the directory one segment at a time and checks each existing
        // segment's real path first, so nothing is created beyond the link (this row once failed).
        check: sentinelProblems,
      },
    ),
  },
  {
    kind: 'service',
    group: 'escape',
    name: 'absolute destination_prefix /etc/ stays under sftRoot',
    async prepare(id) {
      await putRule(
        badRule(id, {
          transfer_type: 'SFT',
          destination_bucket: undefined,
          destination_prefix: `/etc/corpus-${id}/`,
        }),
      );
      await putBad(id, 'passwd', `not /etc/passwd ${id}`);
      return badFlag(id);
    },
    outcome: { action: 'deleted', reason: 'completed' },
    async check(id) {
      const inside = path.join(c.world.sftRoot, 'etc', `corpus-${id}`, 'passwd');
      return (await readFile(inside, 'utf8').catch(() => '')) === `not /etc/passwd ${id}`
        ? []
        : [`expected the file at ${inside}`];
    },
  },
  {
    kind: 'service',
    group: 'escape',
    name: 'source key with ../../../ in the middle: only its basename is used',
    async prepare(id) {
      await putRule(
        badRule(id, {
          transfer_type: 'SFT',
          destination_bucket: undefined,
          destination_prefix: `/corpus/${id}/`,
        }),
      );
      await putBad(id, '../../../outside.csv', `dots ${id}`);
      return badFlag(id);
    },
    outcome: { action: 'deleted', reason: 'completed' },
    async check(id) {
      const inside = path.join(c.world.sftRoot, 'corpus', id, 'outside.csv');
      return (await exists(inside)) ? [] : [`expected ${inside}`];
    },
  },
  {
    kind: 'service',
    group: 'escape',
    name: 'a symbolic link where the file goes is replaced, not followed',
    async prepare(id) {
      const outside = await sentinel(id);
      await mkdir(path.join(c.world.sftRoot, 'corpus', id), { recursive: true });
      await symlink(path.join(outside, 'victim.txt'), path.join(c.world.sftRoot, 'corpus', id, 'victim.txt'));
      await putRule(
        badRule(id, {
          transfer_type: 'SFT',
          destination_bucket: undefined,
          destination_prefix: `/corpus/${id}/`,
        }),
      );
      await putBad(id, 'victim.txt', `overwritten? ${id}`);
      return badFlag(id);
    },
    outcome: { action: 'deleted', reason: 'completed' },
    async check(id) {
      const problems = await sentinelProblems(id);
      const file = path.join(c.world.sftRoot, 'corpus', id, 'victim.txt');
      if (!(await lstat(file)).isFile()) problems.push(`${file} is not a regular file`);
      return problems;
    },
  },
  {
    kind: 'service',
    group: 'escape',
    name: 'control_file_prefix ../../x.ctl: written by its basename, inside',
    async prepare(id) {
      await putRule(
        badRule(id, {
          transfer_type: 'SFT',
          destination_bucket: undefined,
          destination_prefix: `/corpus/${id}/`,
          control_file_prefix: `../../outside-${id}/evil.ctl`,
        }),
      );
      await sentinel(id);
      await putBad(id, 'data.csv', 'data');
      return badFlag(id);
    },
    outcome: { action: 'deleted', reason: 'completed' },
    async check(id) {
      const problems = await sentinelProblems(id);
      if (!(await exists(path.join(c.world.sftRoot, 'corpus', id, 'evil.ctl'))))
        problems.push('no control file inside');
      return problems;
    },
  },
  {
    kind: 'service',
    group: 'escape',
    name: 'NUL in manifest_file_name',
    async prepare(id) {
      await putRule(
        badRule(id, {
          transfer_type: 'SFT',
          destination_bucket: undefined,
          destination_prefix: `/corpus/${id}/`,
          manifest_file_name: 'm\u0000x',
        }),
      );
      await putBad(id, 'data.csv', 'data');
      return badFlag(id);
    },
    outcome: retained,
    // The rule fails when its manifest is planned: the reason appears only in the retry WARNING
    // (no error-level line, unlike a failed object).
    log: {
      level: LEVEL.warn,
      msg: /^message left for retry/,
      text: /manifest name.*NUL/,
      context: ['detail'],
      errors: 0,
    },
  },

  // ── issue 12: links below sftRoot, names the agent ignores, names in bytes, duplicates, modes ──
  {
    name: 'a directory that is a symbolic link pointing INSIDE sftRoot is refused too (no link at any level)',
    ...sftRefused(
      (id) => ({ destination_prefix: `/alias-${id}/` }),
      'data.csv',
      /links below the SFT root are refused/,
      {
        async prepare(id) {
          await mkdir(path.join(c.world.sftRoot, `real-${id}`));
          await symlink(path.join(c.world.sftRoot, `real-${id}`), path.join(c.world.sftRoot, `alias-${id}`));
          await putRule(
            badRule(id, {
              transfer_type: 'SFT',
              destination_bucket: undefined,
              destination_prefix: `/alias-${id}/`,
            }),
          );
          await putBad(id, 'data.csv', 'through a link');
          return badFlag(id);
        },
        async check(id) {
          const written = await readdir(path.join(c.world.sftRoot, `real-${id}`));
          return written.length === 0 ? [] : [`written through the link: ${written.join(', ')}`];
        },
      },
    ),
  },
  ...(
    [
      ['a hidden name (.x)', '.hidden.csv', /starts with/],
      ['a *.tmp name', 'report.tmp', /ends with \\"\.tmp/],
      ['a *.partial name', 'report.csv.partial', /ends with \\"\.partial/],
    ] as const
  ).map(
    ([what, name, detail]): ServiceRow => ({
      name: `SFT object with ${what}, which the agent never sends: refused, never counted as sent`,
      ...sftRefused(
        (id) => ({ destination_prefix: `/corpus/${id}/` }),
        name,
        new RegExp(`the SFT agent never sends it: it .*${detail.source}`),
        {
          async check(id) {
            const directory = path.join(c.world.sftRoot, 'corpus', id);
            const written = await readdir(directory).catch(() => []);
            return written.length === 0 ? [] : [`written anyway: ${written.join(', ')}`];
          },
        },
      ),
      group: 'sft names',
    }),
  ),
  {
    kind: 'service',
    group: 'sft names',
    name: 'a valid 244-byte Cyrillic name is written (temporary names are capped in bytes), 0600 in a directory 0700',
    async prepare(id) {
      await putRule(
        badRule(id, {
          transfer_type: 'SFT',
          destination_bucket: undefined,
          destination_prefix: `/corpus/${id}/`,
        }),
      );
      await putBad(id, `${'д'.repeat(120)}.csv`, `кириллица ${id}`);
      return badFlag(id);
    },
    outcome: { action: 'deleted', reason: 'completed' },
    async check(id) {
      const file = path.join(c.world.sftRoot, 'corpus', id, `${'д'.repeat(120)}.csv`);
      const content = await readFile(file, 'utf8').catch(() => undefined);
      if (content !== `кириллица ${id}`) return [`expected ${file}`];
      return modeProblems(file);
    },
  },
  {
    name: 'a name of 256 bytes in 128 characters (under 255 UTF-16 units) is refused with the reason',
    ...sftRefused(
      (id) => ({ destination_prefix: `/corpus/${id}/` }),
      'д'.repeat(128),
      /name too long: .* is 256 bytes/,
    ),
    group: 'sft names',
  },
  {
    kind: 'service',
    group: 'sft names',
    name: 'a decrypted HTME object written for the SFT agent is 0600, in a directory 0700',
    async prepare(id) {
      await putRule(
        badRule(id, {
          transfer_type: 'SFT',
          destination_bucket: undefined,
          destination_prefix: `/corpus/${id}/`,
          decrypt: true,
        }),
      );
      const object = await htme(`sft plaintext ${id}`);
      await putBad(id, 'secret.csv.enc', object.body, object.metadata);
      return badFlag(id);
    },
    outcome: { action: 'deleted', reason: 'completed' },
    async check(id) {
      const file = path.join(c.world.sftRoot, 'corpus', id, 'secret.csv.enc');
      if ((await readFile(file, 'utf8').catch(() => undefined)) !== `sft plaintext ${id}`)
        return [`expected the plaintext at ${file}`];
      return modeProblems(file);
    },
  },
  ...(['S3', 'SFT'] as const).map(
    (transferType): ServiceRow => ({
      kind: 'service',
      group: 'duplicates',
      name: `${transferType}: north/totals.csv and south/totals.csv flatten to one name: the rule fails naming both, nothing is sent`,
      async prepare(id) {
        await putRule(
          badRule(
            id,
            transferType === 'S3'
              ? { control_file_prefix: 'dup.ctl' }
              : { transfer_type: 'SFT', destination_bucket: undefined, destination_prefix: `/corpus/${id}/` },
          ),
        );
        await putBad(id, 'north/totals.csv', 'north');
        await putBad(id, 'south/totals.csv', 'south');
        await putBad(id, 'other.csv', 'no collision');
        return badFlag(id);
      },
      outcome: retained,
      log: {
        level: LEVEL.error,
        msg: /^duplicate destination names/,
        text: /totals\.csv from \\"corpus\/r\d+\/bad\/north\/totals\.csv\\" and \\"corpus\/r\d+\/bad\/south\/totals\.csv/,
        context: ['rule', 'reason'],
        errors: 1,
      },
      async check(id) {
        const s3 = (await c.world.listKeys(c.world.targets.destinationBucket)).filter((key) =>
          key.startsWith(`bad/${id}/`),
        );
        const sft = await readdir(path.join(c.world.sftRoot, 'corpus', id)).catch(() => []);
        return [...s3, ...sft].length === 0 ? [] : [`sent anyway: ${[...s3, ...sft].join(', ')}`];
      },
    }),
  ),

  // ── encryption metadata, DKS answers, SSM parameters ──
  {
    kind: 'service',
    group: 'crypto',
    name: 'control: a valid HTME object is decrypted',
    async prepare(id) {
      await putRule(badRule(id, { decrypt: true }));
      const object = await htme(`plaintext ${id}`);
      await putBad(id, 'secret.csv.enc', object.body, object.metadata);
      return badFlag(id);
    },
    outcome: { action: 'deleted', reason: 'completed' },
    async check(id) {
      const bytes = await objectBytes(c.world.targets.destinationBucket, `bad/${id}/secret.csv`);
      return bytes?.toString() === `plaintext ${id}` ? [] : ['the decrypted object is not the plaintext'];
    },
  },
  {
    kind: 'service',
    group: 'crypto',
    name: 'control: a valid CSE V2 object is decrypted',
    async prepare(id) {
      await putRule(badRule(id));
      const object = await cse(`cse plaintext ${id}`);
      await putBad(id, 'secret.csv.enc', object.body, object.metadata);
      return badFlag(id);
    },
    outcome: { action: 'deleted', reason: 'completed' },
    async check(id) {
      const bytes = await objectBytes(c.world.targets.destinationBucket, `bad/${id}/secret.csv.enc`);
      return bytes?.toString() === `cse plaintext ${id}` ? [] : ['the decrypted object is not the plaintext'];
    },
  },
  {
    name: 'IV without Base64 padding',
    ...cryptoRefused(async (id) => {
      const o = await htme(id);
      return { ...o, metadata: { ...o.metadata, iv: o.metadata.iv!.replace(/=+$/, '') } };
    }, /'iv': is not strict Base64/),
  },
  {
    name: 'IV in the URL-safe alphabet',
    ...cryptoRefused(async (id) => {
      const o = await htme(id);
      const urlSafe = IV_WITH_SYMBOLS.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
      return { ...o, metadata: { ...o.metadata, iv: urlSafe } };
    }, /'iv': is not strict Base64/),
  },
  {
    name: 'IV of 15 bytes',
    ...cryptoRefused(
      withMetadata({ iv: Buffer.alloc(15, 7).toString('base64') }),
      /'iv': must decode to 16 bytes, got 15/,
    ),
  },
  {
    name: 'IV of 17 bytes',
    ...cryptoRefused(
      withMetadata({ iv: Buffer.alloc(17, 7).toString('base64') }),
      /'iv': must decode to 16 bytes, got 17/,
    ),
  },
  // Inside the value: HTTP trims leading and trailing blanks of a header (metadata) value.
  {
    name: 'IV with whitespace',
    ...cryptoRefused(withMetadata({ iv: 'AAAAAAAAAAA AAAAAAAAAAA==' }), /'iv': is not strict Base64/),
  },
  {
    name: 'wrapped key (ciphertext) not Base64: DKS 400',
    ...cryptoRefused(withMetadata({ ciphertext: 'not base64 at all!' }), /status code '400'/),
  },
  {
    name: 'unknown DKS key id: DKS 400',
    ...cryptoRefused(
      withMetadata({ datakeyencryptionkeyid: 'arn:aws:kms:eu-west-2:000000000000:key/unknown' }),
      /status code '400'/,
    ),
  },
  {
    name: 'DKS answers 200 with HTML',
    ...cryptoRefused(withMetadata({ datakeyencryptionkeyid: GARBAGE_KEY_IDS.notJson }), /unusable response/),
  },
  {
    name: 'DKS answers without plaintextDataKey',
    ...cryptoRefused(withMetadata({ datakeyencryptionkeyid: GARBAGE_KEY_IDS.noKey }), /no plaintextDataKey/),
  },
  {
    name: 'DKS answers a 20-byte key',
    ...cryptoRefused(
      withMetadata({ datakeyencryptionkeyid: GARBAGE_KEY_IDS.shortKey }),
      /must be 16, 24 or 32 bytes.*got 20/,
    ),
  },
  {
    name: 'DKS answers a key that is not Base64',
    ...cryptoRefused(
      withMetadata({ datakeyencryptionkeyid: GARBAGE_KEY_IDS.notBase64 }),
      /plaintextDataKey is not Base64/,
    ),
  },
  {
    name: 'DKS answers 1 MiB',
    ...cryptoRefused(withMetadata({ datakeyencryptionkeyid: GARBAGE_KEY_IDS.huge }), /response larger than/),
  },
  {
    name: 'DKS never answers',
    ...cryptoRefused(withMetadata({ datakeyencryptionkeyid: GARBAGE_KEY_IDS.hang }), /no response within/),
  },
  {
    name: 'CSE x-amz-matdesc not JSON',
    ...cryptoRefused(withCseMetadata({ 'x-amz-matdesc': '{keyid:' }), /'x-amz-matdesc': is not valid JSON/),
  },
  {
    name: 'CSE x-amz-matdesc with keyid only',
    ...cryptoRefused(
      withCseMetadata({
        'x-amz-matdesc': '{"keyid":"arn:aws:kms:eu-west-2:000000000000:key/sandbox-master-key-1"}',
      }),
      /x-amz-matdesc.*not 'encryptedkey'/,
    ),
  },
  {
    name: 'CSE x-amz-key-v2 not Base64',
    ...cryptoRefused(withCseMetadata({ 'x-amz-key-v2': '%%%' }), /x-amz-key-v2/),
  },
  {
    name: 'CSE wrap algorithm kms',
    ...cryptoRefused(withCseMetadata({ 'x-amz-wrap-alg': 'kms' }), /x-amz-wrap-alg/),
  },
  { name: 'SSM re-wrap parameter missing', ...rewrap(undefined, /\/corpus\/.*\/key.*does not exist/) },
  { name: 'SSM re-wrap parameter not JSON', ...rewrap('KeyId=abc', /\/corpus\/.*\/key.*not a JSON object/) },
  {
    name: 'SSM re-wrap parameter without PublicKey',
    ...rewrap('{"KeyId":"k"}', /\/corpus\/.*\/key.*has no PublicKey/),
  },
  {
    name: 'SSM re-wrap PublicKey not Base64',
    ...rewrap('{"KeyId":"k","PublicKey":"%%%"}', /\/corpus\/.*\/key.*not Base64/),
  },
  {
    name: 'SSM re-wrap PublicKey not DER',
    ...rewrap('{"KeyId":"k","PublicKey":"bm90IGEga2V5"}', /\/corpus\/.*\/key.*DER/),
  },
  {
    name: 'SSM re-wrap PublicKey is an EC key',
    ...rewrap(JSON.stringify({ KeyId: 'k', PublicKey: EC_PUBLIC_KEY }), /\/corpus\/.*\/key.*RSA is required/),
  },
] as Row[];

// ── stub rows ──

/** An HTTPS request whose path is sent as written (a URL string would have `%2e%2e` resolved away). */
function request(
  url: string,
  options: https.RequestOptions & { body?: Buffer | string; rawPath?: string },
): Promise<StubAnswer> {
  const target = new URL(url);
  return new Promise((resolve) => {
    const req = https.request(
      {
        ...options,
        host: target.hostname,
        port: target.port,
        path: options.rawPath ?? `${target.pathname}${target.search}`,
        timeout: 10_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode }));
        res.on('error', (error) => resolve({ status: res.statusCode, error: error.message }));
      },
    );
    req.on('error', (error) => resolve({ error: error.message }));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(options.body);
  });
}

const clientTls = () => ({
  ca: c.environment.tls.ca,
  cert: c.environment.tls.clientCert,
  key: c.environment.tls.clientKey,
});
let strangerTls: { ca: string; cert: string; key: string } | undefined;

function nifiPost(
  id: string,
  options: { path?: string; filename?: string; body?: Buffer | string; tls?: object },
) {
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
  if (options.filename !== undefined) headers.filename = options.filename;
  return request(c.nifi.url, {
    rawPath: options.path ?? `/corpus/${id}/in`,
    method: 'POST',
    headers,
    body: options.body ?? `body ${id}`,
    ...(options.tls ?? clientTls()),
  });
}

const nifiRow = (
  name: string,
  send: (id: string) => Promise<StubAnswer>,
  expectStatus: number | 'tls',
): StubRow => ({
  kind: 'stub',
  group: 'stub NiFi',
  name,
  send,
  expect: expectStatus,
  log:
    expectStatus === 'tls'
      ? { level: LEVEL.warn, match: (line) => line.msg === 'TLS handshake refused' }
      : {
          level: LEVEL.warn,
          match: (line, id) =>
            line.msg === 'refused' &&
            String(line.path).includes(`/corpus/${id}/`) &&
            line.status === expectStatus,
        },
  async stored(id) {
    return (await c.world.listKeys(c.nifiBucket)).filter((key) => key.startsWith(`corpus/${id}/in`));
  },
  async good(id) {
    const answer = await nifiPost(id, { path: `/corpus/${id}/good`, filename: 'ok.txt' });
    return (
      answer.status === 200 && (await objectBytes(c.nifiBucket, `corpus/${id}/good/ok.txt`)) !== undefined
    );
  },
});

function dksDecrypt(id: string, query: string, body: string, tls: object = clientTls()) {
  return request(`${c.dksStub.url}/datakey/actions/decrypt?${query}&correlationId=corpus-${id}`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body,
    ...tls,
  });
}

const KEY_ID = encodeURIComponent('arn:aws:kms:eu-west-2:000000000000:key/sandbox-master-key-1');

const dksRow = (
  name: string,
  send: (id: string) => Promise<StubAnswer>,
  expectStatus: number | 'tls',
): StubRow => ({
  kind: 'stub',
  group: 'stub DKS',
  name,
  send,
  expect: expectStatus,
  log:
    expectStatus === 'tls'
      ? { level: LEVEL.warn, match: (line) => line.msg === 'dks stub refused a TLS client' }
      : {
          level: LEVEL.info,
          match: (line, id) =>
            line.msg === 'dks request' &&
            line.dksCorrelationId === `corpus-${id}` &&
            line.status === expectStatus,
        },
  stored: async () => [],
  async good() {
    const answer = await request(`${c.dksStub.url}/datakey`, { method: 'GET', ...clientTls() });
    return answer.status === 201;
  },
});

ROWS.push(
  nifiRow('NiFi: no filename header', (id) => nifiPost(id, {}), 400),
  nifiRow('NiFi: filename ../x', (id) => nifiPost(id, { filename: '../x' }), 400),
  nifiRow('NiFi: filename a/b', (id) => nifiPost(id, { filename: 'a/b' }), 400),
  nifiRow('NiFi: filename with a TAB', (id) => nifiPost(id, { filename: 'a\tb' }), 400),
  nifiRow(
    'NiFi: path with a %2e%2e segment',
    (id) => nifiPost(id, { path: `/corpus/${id}/in/%2e%2e/x`, filename: 'f' }),
    400,
  ),
  nifiRow(
    'NiFi: path with an encoded slash',
    (id) => nifiPost(id, { path: `/corpus/${id}/in/a%2Fb`, filename: 'f' }),
    400,
  ),
  nifiRow(
    'NiFi: body over the limit',
    (id) => nifiPost(id, { filename: 'big.bin', body: Buffer.alloc(NIFI_MAX_BODY + 1) }),
    413,
  ),
  nifiRow(
    'NiFi: no client certificate',
    (id) => nifiPost(id, { filename: 'f', tls: { ca: c.environment.tls.ca } }),
    'tls',
  ),
  nifiRow(
    'NiFi: certificate from another CA',
    (id) => nifiPost(id, { filename: 'f', tls: { ...strangerTls!, ca: c.environment.tls.ca } }),
    'tls',
  ),
  dksRow(
    'DKS: no client certificate',
    (id) => dksDecrypt(id, `keyId=${KEY_ID}`, 'AAAA', { ca: c.environment.tls.ca }),
    'tls',
  ),
  dksRow('DKS: body over 16 KiB', (id) => dksDecrypt(id, `keyId=${KEY_ID}`, 'A'.repeat(17 * 1024)), 413),
  dksRow('DKS: ciphertext not Base64', (id) => dksDecrypt(id, `keyId=${KEY_ID}`, 'not base64!'), 400),
  dksRow(
    'DKS: ciphertext that does not unwrap',
    (id) => dksDecrypt(id, `keyId=${KEY_ID}`, Buffer.alloc(60, 1).toString('base64')),
    400,
  ),
  dksRow('DKS: unknown keyId', (id) => dksDecrypt(id, 'keyId=nobody', 'AAAA'), 400),
  dksRow('DKS: no keyId', (id) => dksDecrypt(id, 'x=1', 'AAAA'), 400),
);

// ── edge rows (issue 12: items 1, 5, 6) ────────────────────────────────────────────────────────

const edgeEndpoint = () => c.environment.edge.endpoint;
const edgeRegion = () => c.environment.edge.region;
const cutOf = (service: string, operation: string, cut: CutPoint) =>
  CUT_ATTACKS.find((a) => a.service === service && a.operation === operation && a.cut === cut)!;
/** Fixtures of the cut attacks: the source bucket, a queue and the routing table of the corpus. */
async function edgeFixtures(id: string, queueUrl?: string): Promise<EdgeFixtures> {
  return {
    region: edgeRegion(),
    bucket: c.world.targets.sourceBucket,
    largeObjectKey: `corpus/${id}/good/ok.txt`,
    queueUrl:
      queueUrl ??
      (await c.world.sqs.send(new CreateQueueCommand({ QueueName: `corpus-${c.world.id}-${id}` }))).QueueUrl!,
    table: c.world.table,
    hashKey: 'source_prefix',
  };
}
const goodObjectIntact = async (id: string) =>
  (await objectBytes(c.world.targets.sourceBucket, `corpus/${id}/good/ok.txt`))?.toString() === `ok ${id}`
    ? []
    : [`the source object corpus/${id}/good/ok.txt was changed or removed`];
const cutRow = (
  name: string,
  attack: (id: string) => Promise<void>,
  check: (id: string) => Promise<string[]> = async () => [],
): EdgeRow => ({
  kind: 'edge',
  group: 'edge',
  name,
  async send(id) {
    await attack(id);
    return 'cut';
  },
  expect: 'cut',
  check,
});
const edgeRow = (
  name: string,
  send: (id: string) => Promise<number>,
  expectStatus: number,
  check: (id: string) => Promise<string[]>,
): EdgeRow => ({ kind: 'edge', group: 'edge', name, send, expect: expectStatus, check });

ROWS.push(
  cutRow(
    'DynamoDB PutItem declaring 1 000 bytes, 30 sent, then a hang-up (crashed the process)',
    async (id) => {
      const request = jsonRequest(
        'DynamoDB_20120810.PutItem',
        'application/x-amz-json-1.0',
        'dynamodb',
        edgeRegion(),
        {
          TableName: c.world.table,
          Item: { source_prefix: { S: `corpus/${id}/planted/` }, pipeline_name: { S: 'PLANTED' } },
        },
      );
      await cutRequest(
        edgeEndpoint(),
        { ...request, body: String(request.body).slice(0, 30) },
        'before-answer',
        {
          declaredLength: 1000,
          hangUp: 'close',
        },
      );
    },
  ),
  cutRow('DynamoDB PutItem reset mid-body', async (id) =>
    cutOf('DynamoDB', 'PutItem', 'mid-body').run(edgeEndpoint(), await edgeFixtures(id, c.world.queueUrl)),
  ),
  cutRow('SQS SendMessage to the work queue reset mid-body', async (id) =>
    cutOf('SQS', 'SendMessage', 'mid-body').run(edgeEndpoint(), await edgeFixtures(id, c.world.queueUrl)),
  ),
  cutRow(
    'S3 PUT over a source object reset mid-body: the object keeps its bytes',
    (id) =>
      cutRequest(
        edgeEndpoint(),
        {
          method: 'PUT',
          path: `/${c.world.targets.sourceBucket}/corpus/${id}/good/ok.txt`,
          body: Buffer.alloc(64 * 1024, 0x41),
        },
        'mid-body',
      ),
    goodObjectIntact,
  ),
  cutRow('S3 UploadPart reset mid-body', async (id) =>
    cutOf('S3', 'UploadPart', 'mid-body').run(edgeEndpoint(), await edgeFixtures(id)),
  ),
  cutRow(
    'S3 GET of a source object reset mid-stream',
    async (id) => cutOf('S3', 'GetObject', 'mid-stream').run(edgeEndpoint(), await edgeFixtures(id)),
    goodObjectIntact,
  ),
  cutRow('SSM PutParameter reset mid-body', async (id) =>
    cutOf('SSM', 'PutParameter', 'mid-body').run(edgeEndpoint(), await edgeFixtures(id)),
  ),
  cutRow('STS AssumeRole reset mid-body', async (id) =>
    cutOf('STS', 'AssumeRole', 'mid-body').run(edgeEndpoint(), await edgeFixtures(id)),
  ),
  {
    ...cutRow(
      'SQS long poll reset while it waits: the next message still reaches a live consumer',
      async () => {},
    ),
    async send(id) {
      const fixtures = await edgeFixtures(id);
      await cutOf('SQS', 'ReceiveMessage (long poll)', 'before-answer').run(edgeEndpoint(), fixtures);
      pollQueues.set(id, fixtures.queueUrl);
      await c.world.sqs.send(
        new SendMessageCommand({ QueueUrl: fixtures.queueUrl, MessageBody: `after ${id}` }),
      );
      return 'cut';
    },
    async check(id) {
      const QueueUrl = pollQueues.get(id)!;
      const got = await waitFor(
        async () =>
          (await c.world.sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }))).Messages?.[0],
        { timeoutMs: 10_000, description: 'the message after a dead long poll' },
      ).catch(() => undefined);
      return got?.Body === `after ${id}` ? [] : ['the message stayed with the dead long poll'];
    },
  },
  edgeRow(
    'cross-site POST ?delete (text/plain, Origin http://evil.example)',
    async (id) =>
      (
        await rawHttp(edgeEndpoint(), {
          method: 'POST',
          path: `/${c.world.targets.sourceBucket}?delete`,
          headers: { origin: 'http://evil.example', 'content-type': 'text/plain' },
          body: `<Delete><Object><Key>corpus/${id}/good/ok.txt</Key></Object></Delete>`,
        })
      ).status,
    403,
    goodObjectIntact,
  ),
  edgeRow(
    'cross-site DynamoDB PutItem (a routing rule planted by a web page)',
    async (id) =>
      (
        await rawHttp(edgeEndpoint(), {
          ...jsonRequest('DynamoDB_20120810.PutItem', 'text/plain', 'dynamodb', edgeRegion(), {
            TableName: c.world.table,
            Item: {
              source_prefix: { S: `corpus/${id}/good/` },
              pipeline_name: { S: 'PLANTED' },
              transfer_type: { S: 'S3' },
            },
          }),
          headers: {
            origin: 'http://evil.example',
            'content-type': 'text/plain',
            'x-amz-target': 'DynamoDB_20120810.PutItem',
          },
        })
      ).status,
    403,
    async (id) => {
      const planted = await c.world.documents.send(
        new GetCommand({
          TableName: c.world.table,
          Key: { source_prefix: `corpus/${id}/good/`, pipeline_name: 'PLANTED' },
        }),
      );
      return planted.Item ? ['the planted rule is in the table'] : [];
    },
  ),
  edgeRow(
    'DNS rebinding: GET of a source object with Host evil.example',
    async (id) =>
      (
        await rawHttp(edgeEndpoint(), {
          method: 'GET',
          path: `/${c.world.targets.sourceBucket}/corpus/${id}/good/ok.txt`,
          headers: { host: `evil.example:${c.environment.edge.port}` },
        })
      ).status,
    403,
    async () => [],
  ),
  edgeRow(
    'PUT /<destination>/../<source>/<flag>: stored literally in destination, source untouched',
    async (id) =>
      (
        await rawHttp(edgeEndpoint(), {
          method: 'PUT',
          path: `/${c.world.targets.destinationBucket}/../${c.world.targets.sourceBucket}/corpus/${id}/bad/pipeline_success.flag`,
          body: 'planted',
        })
      ).status,
    200,
    async (id) => {
      const literal = await objectBytes(
        c.world.targets.destinationBucket,
        `../${c.world.targets.sourceBucket}/corpus/${id}/bad/pipeline_success.flag`,
      );
      const inSource = await objectBytes(
        c.world.targets.sourceBucket,
        `corpus/${id}/bad/pipeline_success.flag`,
      );
      // The edge's own record of the write names the bucket and key its events would carry.
      const recorded = await waitFor(
        () => c.writes.find((write) => write.key?.endsWith(`corpus/${id}/bad/pipeline_success.flag`)),
        { description: 'the edge to record the write' },
      );
      return [
        ...(literal?.toString() === 'planted' ? [] : ['not stored under its literal key in destination']),
        ...(inSource ? ['an object appeared in source'] : []),
        ...(recorded.bucket === c.world.targets.destinationBucket
          ? []
          : [`the edge took it for a write of ${recorded.bucket}/${recorded.key}`]),
      ];
    },
  ),
  edgeRow(
    'PUT with a malformed percent-escape in the key: 400 InvalidURI, nothing stored',
    async (id) =>
      (
        await rawHttp(edgeEndpoint(), {
          method: 'PUT',
          path: `/${c.world.targets.sourceBucket}/corpus/${id}/bad/%zz.csv`,
          body: 'x',
        })
      ).status,
    400,
    async (id) =>
      (await c.world.listKeys(c.world.targets.sourceBucket)).filter((key) =>
        key.startsWith(`corpus/${id}/bad/`),
      ),
  ),
);

const pollQueues = new Map<string, string>();

// ── issue 12 item 5: dot segments in keys; item 7: the AWS endpoint down ──────────────────────

/** Keys with `.` and `..` segments: S3 takes them literally, so must the edge and its events. */
const dotKeys = (id: string) => [
  `corpus/${id}/dots/./pipeline_success.flag`,
  `corpus/${id}/dots/../pipeline_success.flag`,
];

/**
 * How long the endpoint stays down, and the most failed receives allowed meanwhile. Measured with
 * 4 pollers: 7–8 (each poller's receive cut, then one probe after ≈0.5, 1.5, 3.5 s); the bound
 * leaves room for a loaded machine, and the hot loop it guards against made hundreds.
 */
const OUTAGE_MS = 5_000;
const OUTAGE_MAX_FAILED_RECEIVES = 20;

interface OutageMeasure {
  /** `msg` of every egress line at info or above while the endpoint was down. */
  visible: string[];
  failedReceives: number;
  /** `outage started` lines from the start to the flag's delivery. */
  started?: number;
  ended?: { durationMs: number; failedReceives: number; lines: number };
  processed?: EgressEvents['message_processed'];
}
const outages = new Map<string, OutageMeasure>();

/**
 * Issue 12 item 7 on a service of its own (the corpus service must keep its endpoint): its own
 * queue and log, talking to the edge through a TCP proxy that goes down (every connection reset,
 * then refused) for {@link OUTAGE_MS}; a flag sent meanwhile, straight to the edge.
 */
async function endpointOutage(id: string): Promise<void> {
  const proxy = await TcpProxy.start(edgeEndpoint());
  const logs = new LogCapture('egress', { level: 'debug' });
  const queueUrl = (
    await c.world.sqs.send(new CreateQueueCommand({ QueueName: `corpus-${c.world.id}-${id}-outage` }))
  ).QueueUrl!;
  await putRule({
    source_prefix: `corpus/${id}/outage/`,
    pipeline_name: 'OUTAGE',
    transfer_type: 'S3',
    source_bucket: c.world.targets.sourceBucket,
    destination_bucket: c.world.targets.destinationBucket,
    destination_prefix: `outage/${id}/`,
  });
  await c.world.put(`corpus/${id}/outage/data.csv`, `survived ${id}`);
  const processed: EgressEvents['message_processed'][] = [];
  const service = await startEgressService(
    c.world.serviceConfig({
      aws: { ...c.environment.edge.target, endpoint: proxy.endpoint },
      queueUrl,
      messagesInFlight: 4,
    }),
    { logger: logs.logger },
  );
  service.on('message_processed', (event) => processed.push(event));
  try {
    await waitFor(() => proxy.stats.accepted >= 4, { description: 'the 4 pollers to connect' });
    const before = logs.lines.length;
    await proxy.down();
    // The length of the outage is the fault itself, not a wait for a condition.
    await delay(OUTAGE_MS);
    const during = logs.lines.slice(before);
    const measure: OutageMeasure = {
      visible: during.filter((line) => line.level >= LEVEL.info).map((line) => String(line.msg)),
      failedReceives: 1 + during.filter((line) => line.msg === 'SQS receive still failing').length,
    };
    outages.set(id, measure);
    await send(flagBody(`corpus/${id}/outage/pipeline_success.flag`, c.world.targets.sourceBucket), queueUrl);
    await proxy.up();
    measure.processed = await waitFor(() => processed[0], {
      timeoutMs: 40_000,
      description: 'the flag sent during the outage to be processed',
    });
    measure.started = logs.find(LEVEL.warn, { msg: /outage started/ }).length;
    const ended = logs.find(LEVEL.info, { msg: 'SQS receive works again: outage ended' });
    if (ended[0]) {
      measure.ended = {
        durationMs: Number(ended[0].durationMs),
        failedReceives: Number(ended[0].failedReceives),
        lines: ended.length,
      };
    }
  } finally {
    await service.stop();
    await proxy.stop();
  }
}

ROWS.push(
  edgeRow(
    'PUTs of …/dots/./<flag> and …/dots/../<flag>: stored and announced under those very keys (not normalised)',
    async (id) => {
      const statuses: number[] = [];
      for (const key of dotKeys(id)) {
        statuses.push(
          (
            await rawHttp(edgeEndpoint(), {
              method: 'PUT',
              path: `/${c.world.targets.sourceBucket}/${key}`,
              body: 'a flag with dot segments',
            })
          ).status,
        );
      }
      return statuses.find((status) => status !== 200) ?? 200;
    },
    200,
    async (id) => {
      const literal = dotKeys(id);
      const normalised = [`corpus/${id}/dots/pipeline_success.flag`, `corpus/${id}/pipeline_success.flag`];
      const announced = await waitFor(
        () => {
          const keys = c.notifications
            .filter((record) => record.bucket === c.world.targets.sourceBucket)
            .map((record) => record.key)
            .filter((key) => key.startsWith(`corpus/${id}/`));
          return keys.length >= literal.length ? keys : undefined;
        },
        { description: 'the edge to announce both flags' },
      ).catch(() => [] as string[]);
      const stored = (await c.world.listKeys(c.world.targets.sourceBucket)).filter(
        (key) => key.startsWith(`corpus/${id}/`) && !key.startsWith(`corpus/${id}/good/`),
      );
      return [
        ...(announced.sort().join(',') === [...literal].sort().join(',')
          ? []
          : [`events announced ${JSON.stringify(announced)}, expected ${JSON.stringify(literal)}`]),
        ...(stored.sort().join(',') === [...literal].sort().join(',')
          ? []
          : [`stored ${JSON.stringify(stored)}, expected ${JSON.stringify(literal)}`]),
        ...normalised
          .filter((key) => announced.includes(key) || stored.includes(key))
          .map((key) => `normalised to ${key}`),
      ];
    },
  ),
  {
    kind: 'edge',
    group: 'endpoint',
    name: `the AWS endpoint down ${OUTAGE_MS / 1000} s (connections reset, then refused): one line when the outage starts, one when it ends, at most ${OUTAGE_MAX_FAILED_RECEIVES} failed receives, then the flag sent meanwhile is delivered`,
    async send(id) {
      await endpointOutage(id);
      return 'outage';
    },
    expect: 'outage',
    async check(id) {
      const measure = outages.get(id);
      if (!measure) return ['the outage was not measured'];
      const problems: string[] = [];
      if (
        measure.visible.join(' | ') !==
        'SQS receive failing: outage started; backing off until it works again'
      )
        problems.push(`egress lines at info or above while down: ${JSON.stringify(measure.visible)}`);
      if (measure.failedReceives < 2 || measure.failedReceives > OUTAGE_MAX_FAILED_RECEIVES)
        problems.push(`${measure.failedReceives} failed receives while down`);
      if (measure.started !== 1) problems.push(`${measure.started} outage-started lines in all`);
      if (measure.ended?.lines !== 1) problems.push(`${measure.ended?.lines ?? 0} outage-ended lines`);
      else if (
        // One outage, not a string of short ones. It starts at the first failure the client sees,
        // which on a loaded machine comes some milliseconds after the reset (once 42 ms), and it may
        // end with a probe right after the endpoint is back: hence a second of slack.
        measure.ended.durationMs < OUTAGE_MS - 1_000 ||
        measure.ended.failedReceives > OUTAGE_MAX_FAILED_RECEIVES + 4
      )
        problems.push(`outage ended: ${JSON.stringify(measure.ended)}`);
      if (measure.processed?.action !== 'deleted' || measure.processed.reason !== 'completed')
        problems.push(`the flag sent meanwhile: ${measure.processed?.action}/${measure.processed?.reason}`);
      const delivered = await objectBytes(c.world.targets.destinationBucket, `outage/${id}/data.csv`);
      if (delivered?.toString() !== `survived ${id}`)
        problems.push('the object of that flag was not delivered');
      return problems;
    },
    evidence(id) {
      const measure = outages.get(id);
      return measure
        ? `${measure.visible.length} line(s) at info+ and ${measure.failedReceives} failed receives in ${OUTAGE_MS / 1000} s down; ended after ${measure.ended?.durationMs} ms, ${measure.ended?.failedReceives} failed receives in all`
        : undefined;
    },
  },
);

// ── running the rows ───────────────────────────────────────────────────────────────────────────

interface RowResult {
  id: string;
  error?: string;
  messageId?: string;
  first?: EgressEvents['message_processed'];
  lines: LogLine[];
  sendError?: string;
  answer?: StubAnswer;
  stored: string[];
  goodDelivered: boolean;
  problems: string[];
  /** What an edge row measured. */
  evidence?: string;
}

const results = new Map<string, RowResult>();

async function send(body: string, queueUrl = c.world.queueUrl): Promise<string> {
  const sent = await c.world.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
  return sent.MessageId!;
}

function firstProcessing(messageId: string, timeoutMs = 30_000): Promise<FirstProcessing> {
  return waitFor(() => c.first.get(messageId), {
    timeoutMs,
    description: `message ${messageId} to be processed`,
  });
}

async function runServiceRow(row: ServiceRow, id: string): Promise<RowResult> {
  const result: RowResult = { id, lines: [], stored: [], goodDelivered: false, problems: [] };
  const body = await row.prepare(id);
  if (row.outcome.action === 'send-refused') {
    try {
      result.messageId = await send(body);
    } catch (error) {
      result.sendError = (error as Error).message;
    }
  } else {
    const messageId = await send(body);
    result.messageId = messageId;
    const first = await firstProcessing(messageId);
    result.first = first.event;
    result.lines = c.world.logs.lines
      .slice(0, first.lineCount)
      .filter((line) => line.messageId === messageId || line.correlationId === messageId);
  }
  const goodId = await send(
    flagBody(`corpus/${id}/good/pipeline_success.flag`, c.world.targets.sourceBucket),
  );
  const good = await firstProcessing(goodId);
  result.goodDelivered =
    good.event.action === 'deleted' &&
    good.event.reason === 'completed' &&
    (await objectBytes(c.world.targets.destinationBucket, `good/${id}/ok.txt`))?.toString() === `ok ${id}`;
  result.problems = row.check ? await row.check(id) : [];
  return result;
}

/** An edge row: the attack, then the edge still answers, the row's check, and its good flag delivered. */
async function runEdgeRow(row: EdgeRow, id: string): Promise<RowResult> {
  const answer = await row.send(id);
  const problems = await row.check(id);
  const evidence = row.evidence?.(id);
  if (!(await edgeAnswers(c.environment.edge.endpoint))) problems.push('the edge no longer answers');
  const goodId = await send(
    flagBody(`corpus/${id}/good/pipeline_success.flag`, c.world.targets.sourceBucket),
  );
  const good = await firstProcessing(goodId);
  return {
    id,
    answer: typeof answer === 'number' ? { status: answer } : { error: answer },
    ...(evidence ? { evidence } : {}),
    lines: [],
    stored: [],
    goodDelivered:
      good.event.action === 'deleted' &&
      good.event.reason === 'completed' &&
      (await objectBytes(c.world.targets.destinationBucket, `good/${id}/ok.txt`))?.toString() === `ok ${id}`,
    problems,
  };
}

async function runStubRow(row: StubRow, id: string): Promise<RowResult> {
  const answer = await row.send(id);
  const stored = await row.stored(id);
  return {
    id,
    answer,
    lines: c.world.logs.lines.filter((line) => line.level >= row.log.level && row.log.match(line, id)),
    stored,
    goodDelivered: await row.good(id),
    problems: [],
  };
}

/** The directory around sftRoot, as a sorted list of `path (type)` (sftRoot itself excluded). */
async function surroundings(): Promise<string[]> {
  const out: string[] = [];
  const walk = async (directory: string, relative: string) => {
    for (const entry of await readdir(directory, { withFileTypes: true })) {
      const rel = `${relative}${entry.name}`;
      if (rel === 'sft-root') continue;
      out.push(`${rel} (${entry.isDirectory() ? 'dir' : entry.isSymbolicLink() ? 'link' : 'file'})`);
      if (entry.isDirectory()) await walk(path.join(directory, entry.name), `${rel}/`);
    }
  };
  await walk(c.world.parentDir, '');
  return out.sort();
}

let surroundingsBefore: string[] = [];

beforeAll(async () => {
  const environment = await startChaosEnvironment();
  const world = await ChaosWorld.create(environment, {
    name: 'corpus',
    sft: 'files',
    workload: { prefix: 'corpus/none/', flag: 'corpus/none/pipeline_success.flag', objects: [] },
    rules: () => [],
    maxReceiveCount: 1,
    // The classic SQS limit (fauxqs defaults to the 1 MiB AWS allows since 2025).
    queueAttributes: { MaximumMessageSize: String(256 * 1024) },
  });
  const dksStub = await startDksStub({
    port: 0,
    tls: environment.tls,
    logger: world.logs.logger.child({ component: 'dks' }),
  });
  const front = await startDksFront(dksStub.url, environment.tls);
  const crypto = await createDksEgressCrypto(
    { url: front.url },
    {
      logger: world.logs.logger.child({ component: 'egress' }),
      // The service's own construction; only the timings are shortened so a hung DKS fails in seconds.
      client: { timeoutMs: 2_500, retry: { attempts: 2, initialDelayMs: 50 } },
    },
  );
  const producer = new DataKeyServiceClient({
    url: dksStub.url,
    tls: { ca: environment.tls.ca, cert: environment.tls.clientCert, key: environment.tls.clientKey },
    retry: { attempts: 1 },
  });
  const nifiBucket = `cn-${world.id}`;
  const untouched = `cu-${world.id}`;
  await createBucket(world.s3, nifiBucket);
  await createBucket(world.s3, untouched);
  const nifi = await startStubNifi({
    port: 0,
    bucket: nifiBucket,
    s3: environment.edge.target,
    tls: environment.tls,
    maxBodyBytes: NIFI_MAX_BODY,
    logger: world.logs.logger.child({ component: 'stub-nifi' }),
  });
  const stranger = await generateCertificates();
  strangerTls = { ca: stranger.ca, cert: stranger.clientCert, key: stranger.clientKey };
  const writes: S3WriteRecord[] = [];
  environment.edge.onS3Write((record) => writes.push(record));
  const notifications: NotificationRecord[] = [];
  environment.edge.onNotification((record) => notifications.push(record));
  const first = new Map<string, FirstProcessing>();
  const service = await world.startService(
    { messagesInFlight: 12, objectConcurrency: 16 },
    { crypto: crypto.crypto },
  );
  service.on('message_processed', (event) => {
    if (!first.has(event.messageId))
      first.set(event.messageId, { event, lineCount: world.logs.lines.length });
  });
  c = {
    environment,
    world,
    service,
    crypto,
    dksStub,
    front,
    producer,
    nifi,
    nifiBucket,
    ssm: createSsmClient(environment.edge.target),
    untouched,
    first,
    writes,
    notifications,
    keyMaterial: [],
  };

  // Every row's good flag: one object and one rule of its own.
  await Promise.all(
    ROWS.map(async (_row, index) => {
      const id = rowId(index);
      await world.put(`corpus/${id}/good/ok.txt`, `ok ${id}`);
      await putRule({
        source_prefix: `corpus/${id}/good/`,
        pipeline_name: 'GOOD',
        transfer_type: 'S3',
        source_bucket: world.targets.sourceBucket,
        destination_bucket: world.targets.destinationBucket,
        destination_prefix: `good/${id}/`,
      });
    }),
  );
  surroundingsBefore = await surroundings();

  // All rows at once, 12 at a time.
  let next = 0;
  const worker = async () => {
    while (next < ROWS.length) {
      const index = next++;
      const row = ROWS[index]!;
      const id = rowId(index);
      try {
        results.set(
          row.name,
          row.kind === 'service'
            ? await runServiceRow(row, id)
            : row.kind === 'edge'
              ? await runEdgeRow(row, id)
              : await runStubRow(row, id),
        );
      } catch (error) {
        results.set(row.name, {
          id,
          error: (error as Error).stack ?? String(error),
          lines: [],
          stored: [],
          goodDelivered: false,
          problems: [],
        });
      }
    }
  };
  await Promise.all(Array.from({ length: 12 }, worker));
}, 120_000);

/** `reports/reliability/bad-input-corpus.txt`: one line per row, what happened and what was logged. */
async function writeCorpusReport(): Promise<void> {
  const lines = ROWS.map((row) => {
    const result = results.get(row.name);
    if (!result) return `${row.group} | ${row.name} | did not run`;
    if (result.error) return `${row.group} | ${row.name} | CRASHED ${result.error.split('\n')[0]}`;
    if (row.kind === 'edge') {
      return `${row.group} | ${row.name} | ${result.answer?.status ?? result.answer?.error} | problems ${result.problems.length}${result.evidence ? ` | ${result.evidence}` : ''} | good after: ${result.goodDelivered}`;
    }
    if (row.kind === 'stub') {
      return `${row.group} | ${row.name} | ${result.answer?.status ?? `refused: ${result.answer?.error?.replace(/\s+/g, ' ')}`} | stored ${result.stored.length} | good after: ${result.goodDelivered}`;
    }
    const explaining = row.log
      ? result.lines.find((line) => line.level >= row.log!.level && row.log!.msg.test(String(line.msg)))
      : undefined;
    const outcome = result.first
      ? `${result.first.action}/${result.first.reason}`
      : `send refused: ${result.sendError}`;
    const said = explaining
      ? `[${explaining.level}] ${explaining.msg}: ${String(explaining.reason ?? explaining.detail ?? '')}`
      : '';
    return `${row.group} | ${row.name} | ${outcome} | ${said.slice(0, 300)} | errors ${result.lines.filter((line) => line.level >= LEVEL.error).length} | good after: ${result.goodDelivered}${row.kind === 'service' && row.bug ? ' | BUG' : ''}`;
  });
  await mkdir('reports/reliability', { recursive: true });
  await writeFile('reports/reliability/bad-input-corpus.txt', `${lines.join('\n')}\n`);
}

afterAll(async () => {
  if (!c) return;
  await writeCorpusReport();
  await c.world.close();
  await c.crypto.close();
  await c.producer.close();
  await c.front.stop();
  await c.dksStub.stop();
  await c.nifi.stop();
  c.ssm.destroy();
  await c.environment.close();
});

function rowId(index: number): string {
  return `r${String(index).padStart(2, '0')}`;
}

// ── verdicts ───────────────────────────────────────────────────────────────────────────────────

function describeLines(lines: LogLine[]): string {
  return lines.map((line) => `  [${line.level}] ${JSON.stringify(line).slice(0, 400)}`).join('\n');
}

function assertServiceRow(row: ServiceRow, result: RowResult): void {
  const context = `${row.name} (${result.id}, message ${result.messageId}):\n${describeLines(result.lines)}`;
  if (row.outcome.action === 'send-refused') {
    expect(result.sendError, 'SQS should refuse the message').toMatch(
      /shorter than|too long|InvalidParameterValue|size/i,
    );
  } else {
    expect({ action: result.first?.action, reason: result.first?.reason }, context).toEqual(row.outcome);
  }
  if (row.log) {
    const explaining = result.lines.filter(
      (line) =>
        line.level >= row.log!.level &&
        row.log!.msg.test(String(line.msg)) &&
        row.log!.text.test(JSON.stringify(line)),
    );
    expect(explaining.length, `exactly one line explains it — ${context}`).toBe(1);
    for (const field of row.log.context) {
      expect(explaining[0]![field], `the explaining line carries ${field} — ${context}`).toBeTruthy();
    }
    const errors = result.lines.filter((line) => line.level >= LEVEL.error);
    expect(errors.length, `error-level lines of the first processing — ${context}`).toBe(row.log.errors);
  }
  expect(result.problems, context).toEqual([]);
  expect(result.goodDelivered, `the good flag after it was delivered — ${context}`).toBe(true);
}

function assertEdgeRow(row: EdgeRow, result: RowResult): void {
  const context = `${row.name} (${result.id}): ${JSON.stringify(result.answer)}`;
  if (typeof row.expect === 'string') expect(result.answer?.error, context).toBe(row.expect);
  else expect(result.answer?.status, context).toBe(row.expect);
  expect(result.problems, context).toEqual([]);
  expect(result.goodDelivered, `the good flag after it was delivered — ${context}`).toBe(true);
}

function assertStubRow(row: StubRow, result: RowResult): void {
  const context = `${row.name} (${result.id}): ${JSON.stringify(result.answer)}`;
  if (row.expect === 'tls') {
    expect(result.answer?.status, context).toBeUndefined();
    expect(result.answer?.error, context).toBeTruthy();
  } else {
    expect(result.answer?.status, context).toBe(row.expect);
  }
  expect(result.lines.length, `the stub logged it — ${context}`).toBeGreaterThanOrEqual(1);
  expect(result.stored, context).toEqual([]);
  expect(result.goodDelivered, `a good request afterwards worked — ${context}`).toBe(true);
}

describe('bad-input corpus', () => {
  for (const row of ROWS) {
    const test = row.kind === 'service' && row.bug ? it.fails : it;
    test(`${row.group}: ${row.name}`, () => {
      const result = results.get(row.name);
      expect(result, 'the row ran').toBeDefined();
      expect(result!.error, `the row crashed`).toBeUndefined();
      if (row.kind === 'service') assertServiceRow(row, result!);
      else if (row.kind === 'edge') assertEdgeRow(row, result!);
      else assertStubRow(row, result!);
    });
  }

  it('afterwards: nothing written outside sftRoot, nothing to the bucket of invalid rules, no key in any log, the service healthy, every bad message gone', async () => {
    // Rows' sentinel directories (outside-<id>/victim.txt) are theirs; anything else in them is an
    // escape, except under the rows that document a known defect (they fail on their own).
    const bugRows = ROWS.filter((row) => row.kind === 'service' && row.bug).map(
      (row) => `outside-${results.get(row.name)?.id}/`,
    );
    const added = (await surroundings())
      .filter((entry) => !surroundingsBefore.includes(entry))
      .filter((entry) => !/^outside-r\d+( \(dir\)|\/victim\.txt \(file\))$/.test(entry))
      .filter((entry) => !bugRows.some((prefix) => entry.startsWith(prefix)));
    expect(added, 'new entries next to sftRoot').toEqual([]);
    expect(c.writes.filter((write) => write.bucket === c.untouched)).toEqual([]);
    const secrets = [...c.keyMaterial, ...c.front.servedKeys];
    expect(secrets.length).toBeGreaterThan(10);
    expect(secrets.filter((secret) => c.world.logs.contains(secret))).toEqual([]);
    const health = await fetch(c.service.metricsUrl.replace(/\/metrics$/, '/health'));
    expect(health.status).toBe(200);
    // Retained rows reach the DLQ through the redrive policy when they come back (maxReceiveCount 1).
    await waitFor(
      async () => {
        const depth = await c.world.queueDepth();
        return depth.visible + depth.inFlight === 0;
      },
      { timeoutMs: 30_000, description: 'every bad message to be deleted or dead-lettered' },
    );
  }, 40_000);
});
