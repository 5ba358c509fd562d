import { generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  GetBucketNotificationConfigurationCommand,
  HeadBucketCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  DeleteParameterCommand,
  GetParameterCommand,
  ParameterNotFound,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createBucket } from '../../../src/aws/buckets.ts';
import { createDocumentClient, createS3Client, createSsmClient } from '../../../src/aws/clients.ts';
import type { AwsTarget } from '../../../src/aws/target.ts';
import {
  type DataKey,
  DataKeyServiceClient,
  encryptHtme,
  htmeMetadata,
} from '../../../src/egress/crypto/index.ts';
import { type DateStamps, dateStamps } from '../../../src/egress/plan/dates.ts';
import { FLAG_SUFFIX } from '../../../src/egress/plan/naming.ts';
import type { EgressRule } from '../../../src/egress/rules/rule.ts';
import { describeRuleKey } from '../../../src/egress/rules/rule.ts';
import { checkItems, type RoutingItemRecord } from '../../../src/rule-tools/index.ts';
import {
  type RuleSetSample,
  ruleSetSamples,
  sampleFlags,
  scopeItem,
  scopeSourceKey,
  storedRecords,
} from '../../../src/rule-tools/scenarios/index.ts';
import { waitFor } from '../../../src/util/wait.ts';
import type { PipelineEvent } from '../pipeline-events.ts';
import type { TestTarget } from '../target.ts';

/*
 * The one upload wave of a rule set's feature: every rule's sample, then every flag, published at
 * once, so the service works on all rules in parallel and the scenarios only check what arrived.
 * The first scenario's Background starts it, the others wait for the same wave. Everything goes
 * under one scope (`bdd-<run>/`, see src/rule-tools/scenarios/isolation.ts); the rules are put into
 * the table scoped, and taken out again after the run.
 */

/** A sample as published. */
export interface PublishedSample {
  readonly sample: RuleSetSample;
  /** Its key in the bucket (scoped). */
  readonly key: string;
  readonly plaintext: Buffer;
  /** The bytes stored: the plaintext, or its HTME encryption. */
  readonly body: Buffer;
  readonly metadata: Readonly<Record<string, string>>;
  /** Why it could not be published (a bucket that cannot be created, …). */
  readonly error?: string | undefined;
}

/**
 * The recipient key pair for re-wrapped objects and manifests. Its public half is in every SSM
 * parameter the rules name, each under its own key id (`keyIdFor`), so a delivery tells which
 * parameter the service read.
 */
export interface RecipientKey {
  keyIdFor(parameter: string): string;
  readonly privateKey: KeyObject;
}

export interface RuleSetWave {
  readonly scope: string;
  /** The processing day as the service renders it, and the zone it renders in. */
  readonly stamps: DateStamps;
  readonly timeZone: string;
  readonly records: readonly RoutingItemRecord[];
  /** Valid rules by `source_prefix|pipeline_name` as written in the rules file. */
  readonly rules: ReadonlyMap<string, EgressRule>;
  /** By `<bucket>\0<unscoped key>`. */
  readonly samples: ReadonlyMap<string, PublishedSample>;
  /** Every flag (scoped keys) and, once handled, the first outcome of its message. */
  readonly flags: readonly { bucket: string; key: string; error?: string | undefined }[];
  readonly outcomes: ReadonlyMap<string, Extract<PipelineEvent, { type: 'message' }>>;
  /** When the flags went up (the earliest a `<hhmmss>` can be). */
  readonly flagsPublishedAt: Date;
  /** How long the wave waited for the flags' outcomes. */
  readonly waitedMs: number;
  /** The target's event position before the wave. */
  readonly eventMark: number;
  readonly recipient: RecipientKey;
  /** The test's own DKS client (mTLS with the sandbox's client certificate). */
  readonly dks: DataKeyServiceClient | undefined;
  readonly s3: S3Client;
}

interface WaveResources {
  /** Only a stack that outlives the run (`external`) needs its table and SSM put back. */
  readonly outlivesRun: boolean;
  readonly s3: S3Client;
  readonly ssm: SSMClient;
  readonly documents: DynamoDBDocumentClient;
  readonly table: string;
  readonly keys: { source_prefix: string; pipeline_name: string }[];
  readonly parameters: { name: string; previous?: { value: string; type: string } | undefined }[];
  dks?: DataKeyServiceClient | undefined;
}

const waves = new Map<string, Promise<RuleSetWave>>();
const resources: WaveResources[] = [];

let recipientPair: { publicKey: KeyObject; privateKey: KeyObject } | undefined;

/** The service's time zone on in-process targets; elsewhere what the steps assume (`TZ`, else UTC). */
function serviceTimeZone(target: TestTarget): string {
  return target.sandbox?.components.egress.config.timeZone ?? (process.env.TZ || 'UTC');
}

function awsTargetOf(target: TestTarget): AwsTarget {
  const { aws, region } = target.state;
  return {
    region,
    endpoint: aws.endpoint,
    credentials: {
      accessKeyId: aws.accessKeyId,
      secretAccessKey: aws.secretAccessKey,
      ...(aws.sessionToken ? { sessionToken: aws.sessionToken } : {}),
    },
  };
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

function message(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** A rule set's buckets exist, and each source bucket tells the egress queue about flags. */
async function ensureBuckets(
  s3: S3Client,
  sources: readonly string[],
  destinations: readonly string[],
  queueArn: string,
): Promise<Map<string, string>> {
  const problems = new Map<string, string>();
  await eachLimited([...new Set([...sources, ...destinations])], 8, async (bucket) => {
    try {
      await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    } catch {
      try {
        await createBucket(s3, bucket);
      } catch (error) {
        problems.set(bucket, `the bucket ${bucket} does not exist and cannot be created: ${message(error)}`);
      }
    }
  });
  await eachLimited(
    [...new Set(sources)].filter((bucket) => !problems.has(bucket)),
    8,
    async (bucket) => {
      try {
        const current = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
        const queues = current.QueueConfigurations ?? [];
        if (queues.some((configuration) => configuration.QueueArn === queueArn)) return;
        await s3.send(
          new PutBucketNotificationConfigurationCommand({
            Bucket: bucket,
            NotificationConfiguration: {
              QueueConfigurations: [
                ...queues,
                {
                  Id: 'egress-rule-set-flags',
                  QueueArn: queueArn,
                  Events: ['s3:ObjectCreated:*'],
                  Filter: { Key: { FilterRules: [{ Name: 'suffix', Value: FLAG_SUFFIX }] } },
                },
              ],
              TopicConfigurations: current.TopicConfigurations,
              LambdaFunctionConfigurations: current.LambdaFunctionConfigurations,
            },
          }),
        );
      } catch (error) {
        problems.set(
          bucket,
          `flags in ${bucket} cannot be made to notify the egress queue: ${message(error)}`,
        );
      }
    },
  );
  return problems;
}

/** Publishes the test's RSA public key where re-wrapping rules look for it; remembers what was there. */
async function publishRecipientKey(
  ssm: SSMClient,
  names: readonly string[],
  recipient: RecipientKey,
  publicKey: KeyObject,
  remember: WaveResources['parameters'],
): Promise<void> {
  for (const name of names) {
    // The shape of KMS GetPublicKey output, as the original's recipients stored it.
    const value = JSON.stringify({
      KeyId: recipient.keyIdFor(name),
      PublicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
      CustomerMasterKeySpec: 'RSA_2048',
      EncryptionAlgorithms: ['RSAES_OAEP_SHA_256'],
    });
    let previous: { value: string; type: string } | undefined;
    try {
      const { Parameter } = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
      if (Parameter?.Value !== undefined)
        previous = { value: Parameter.Value, type: Parameter.Type ?? 'String' };
    } catch (error) {
      if (!(error instanceof ParameterNotFound)) throw error;
    }
    remember.push({ name, previous });
    await ssm.send(
      new PutParameterCommand({ Name: name, Value: value, Type: 'SecureString', Overwrite: true }),
    );
  }
}

async function dksClient(target: TestTarget): Promise<DataKeyServiceClient> {
  const url = target.state.dks?.url;
  if (!url) throw new Error('sandbox.json has no dks.url: HTME samples need the Data Key Service');
  const { tls } = target.state;
  const [ca, cert, key] = await Promise.all(
    [tls.ca, tls.cert, tls.key].map((file) => readFile(file, 'utf8')),
  );
  return new DataKeyServiceClient({ url, tls: { ca: ca!, cert: cert!, key: key! }, retry: { attempts: 2 } });
}

/** The sample's plaintext: text naming the run and the rule, compressible like real exports. */
function plaintextOf(scope: string, sample: RuleSetSample): Buffer {
  const pipeline = String(sample.record.item.pipeline_name);
  const lines = Array.from(
    { length: 40 },
    (_, line) => `${scope},${sample.record.label},${pipeline},SAMPLE,LINE,${line}`,
  );
  return Buffer.from(`${lines.join('\n')}\n`);
}

async function runWave(target: TestTarget, records: readonly RoutingItemRecord[]): Promise<RuleSetWave> {
  const scope = `bdd-${randomUUID().slice(0, 8)}`;
  const aws = awsTargetOf(target);
  const owned: WaveResources = {
    outlivesRun: target.name === 'external',
    s3: createS3Client(aws),
    ssm: createSsmClient(aws),
    documents: createDocumentClient(aws),
    table: target.state.table,
    keys: [],
    parameters: [],
  };
  resources.push(owned);
  const timeZone = serviceTimeZone(target);
  const stamps = dateStamps(new Date(), timeZone);
  const { stored } = storedRecords(records);
  const rules = new Map<string, EgressRule>();
  for (const checked of checkItems(stored.map((entry) => entry.record))) {
    if (checked.ok) rules.set(describeRuleKey(checked.rule.key), checked.rule);
  }

  // The table: every storable item, scoped (invalid ones too: the service must report them).
  await eachLimited(stored, 16, async ({ record }) => {
    const item = scopeItem(scope, record.item);
    await owned.documents.send(new PutCommand({ TableName: owned.table, Item: item }));
    owned.keys.push({ source_prefix: String(item.source_prefix), pipeline_name: String(item.pipeline_name) });
  });

  const samples = ruleSetSamples(records, stamps);
  const destinations = [...rules.values()].flatMap((rule) =>
    rule.destinationBucket ? [rule.destinationBucket] : [],
  );
  const bucketProblems = await ensureBuckets(
    owned.s3,
    samples.map((sample) => sample.bucket),
    destinations,
    target.state.queue.arn,
  );

  // Recipient keys for re-wrapping rules and re-wrapped manifests.
  recipientPair ??= generateKeyPairSync('rsa', { modulusLength: 2048 });
  const recipient: RecipientKey = {
    keyIdFor: (parameter) => `${scope}:${parameter}`,
    privateKey: recipientPair.privateKey,
  };
  const parameters = [
    ...new Set(
      [...rules.values()].flatMap((rule) =>
        rule.encryptingKeySsmParameterName &&
        ((rule.rewrapDatakey && rule.transferType === 'S3') || rule.manifestEncryption === 'rewrapped')
          ? [rule.encryptingKeySsmParameterName]
          : [],
      ),
    ),
  ];
  await publishRecipientKey(owned.ssm, parameters, recipient, recipientPair.publicKey, owned.parameters);

  let dataKey: DataKey | undefined;
  if (samples.some((sample) => sample.encryption === 'htme')) {
    owned.dks = await dksClient(target);
    dataKey = await owned.dks.generateDataKey();
  }

  const eventMark = await target.events.mark();
  const published = new Map<string, PublishedSample>();
  await eachLimited(samples, 16, async (sample) => {
    const plaintext = plaintextOf(scope, sample);
    const encrypted = sample.encryption === 'htme' && dataKey ? encryptHtme(plaintext, dataKey) : undefined;
    const body = encrypted?.body ?? plaintext;
    const metadata = encrypted ? htmeMetadata(encrypted.envelope) : {};
    const key = scopeSourceKey(scope, sample.dataKey);
    let error = bucketProblems.get(sample.bucket);
    if (!error) {
      try {
        await owned.s3.send(
          new PutObjectCommand({ Bucket: sample.bucket, Key: key, Body: body, Metadata: metadata }),
        );
      } catch (cause) {
        error = `uploading it failed: ${message(cause)}`;
      }
    }
    published.set(`${sample.bucket}\u0000${sample.dataKey}`, {
      sample,
      key,
      plaintext,
      body,
      metadata,
      error,
    });
  });

  const flagsPublishedAt = new Date();
  const flags = sampleFlags(samples).map((flag) => ({
    bucket: flag.bucket,
    key: scopeSourceKey(scope, flag.key),
    error: bucketProblems.get(flag.bucket) as string | undefined,
  }));
  await eachLimited(flags, 16, async (flag) => {
    if (flag.error) return;
    try {
      await owned.s3.send(
        new PutObjectCommand({ Bucket: flag.bucket, Key: flag.key, Body: '', ContentLength: 0 }),
      );
    } catch (cause) {
      flag.error = `uploading it failed: ${message(cause)}`;
    }
  });

  // One outcome per flag: the service has then written every S3 object (it deletes after writing).
  const outcomes = new Map<string, Extract<PipelineEvent, { type: 'message' }>>();
  const pending = flags.filter((flag) => !flag.error).map((flag) => flag.key);
  const started = Date.now();
  await waitFor(
    async () => {
      for (const event of await target.events.since(eventMark)) {
        if (event.type !== 'message') continue;
        for (const key of event.flagKeys) if (!outcomes.has(key)) outcomes.set(key, event);
      }
      return pending.every((key) => outcomes.has(key));
    },
    {
      timeoutMs: Math.min(180_000, 30_000 + 300 * pending.length),
      intervalMs: 100,
      description: `the messages of ${pending.length} flags`,
    },
  ).catch(() => undefined); // a flag without an outcome fails its own scenarios, saying so
  return {
    scope,
    stamps,
    timeZone,
    records,
    rules,
    samples: published,
    flags,
    outcomes,
    flagsPublishedAt,
    waitedMs: Date.now() - started,
    eventMark,
    recipient,
    dks: owned.dks,
    s3: owned.s3,
  };
}

/**
 * The wave of a rule set on a target: started by the first caller, shared by the rest. Keyed by
 * the rules file, so two features over one file share it too.
 */
export function ruleSetWave(
  target: TestTarget,
  file: string,
  records: readonly RoutingItemRecord[],
): Promise<RuleSetWave> {
  const key = `${target.name}\u0000${path.resolve(file)}`;
  let wave = waves.get(key);
  if (!wave) {
    wave = runWave(target, records);
    waves.set(key, wave);
  }
  return wave;
}

/**
 * After the run: on a stack that outlives it, takes the rule sets' items out of the table and puts
 * back what SSM held (failures ignored: the scoped items match nothing of anyone else's anyway);
 * an in-process sandbox is gone with everything in it. Closes the clients either way.
 */
export async function removeRuleSetWaves(): Promise<void> {
  for (const owned of resources.splice(0)) {
    if (owned.outlivesRun) await restore(owned);
    await owned.dks?.close();
    for (const client of [owned.s3, owned.ssm, owned.documents]) client.destroy();
  }
  waves.clear();
}

async function restore(owned: WaveResources): Promise<void> {
  await eachLimited(owned.keys, 16, async (key) => {
    await owned.documents.send(new DeleteCommand({ TableName: owned.table, Key: key })).catch(() => {});
  });
  for (const parameter of owned.parameters) {
    const put = parameter.previous
      ? owned.ssm.send(
          new PutParameterCommand({
            Name: parameter.name,
            Value: parameter.previous.value,
            Type: parameter.previous.type as never,
            Overwrite: true,
          }),
        )
      : owned.ssm.send(new DeleteParameterCommand({ Name: parameter.name }));
    await put.catch(() => {});
  }
}
