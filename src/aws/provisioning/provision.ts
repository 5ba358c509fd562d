import { isDeepStrictEqual } from 'node:util';
import {
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import {
  GetBucketNotificationConfigurationCommand,
  HeadBucketCommand,
  PutBucketNotificationConfigurationCommand,
  type QueueConfiguration,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  GetParameterCommand,
  ParameterNotFound,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { type DynamoDBDocumentClient, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createBucket } from '../buckets.ts';
import {
  createDocumentClient,
  createDynamoClient,
  createS3Client,
  createSqsClient,
  createSsmClient,
} from '../clients.ts';
import { type AwsTarget, isEmulated } from '../target.ts';
import type { NotificationSpec, QueueSpec, TableSpec } from './environment.ts';
import type { LoadedEnvironment } from './environment-file.ts';
import { s3NotificationQueuePolicy, samePolicy } from './queue-policy.ts';
import { createKeyedTable } from './routing-table.ts';

export type ProvisionAction = 'created' | 'found' | 'updated';

/** One line of the provisioning report. */
export interface ProvisionStep {
  kind: 'bucket' | 'queue' | 'notification' | 'table' | 'items' | 'parameter';
  name: string;
  action: ProvisionAction;
  detail?: string;
}

/** What a provisioning run did, and the identifiers later components need. */
export interface ProvisionReport {
  steps: ProvisionStep[];
  queues: Record<string, { url: string; arn: string }>;
}

/** Provisioning would touch real AWS without the explicit confirmation. */
export class RealAwsNotConfirmedError extends Error {
  override readonly name = 'RealAwsNotConfirmedError';
  constructor() {
    super(
      'refusing to provision real AWS (no endpoint is set, so the SDK would use your AWS account); ' +
        'set an endpoint (--endpoint / AWS_ENDPOINT_URL) for an emulator, or pass --confirm-real-aws',
    );
  }
}

export interface ProvisionOptions {
  /** Required when the target is real AWS (no endpoint). */
  confirmRealAws?: boolean;
  /** Called as each step completes, for live progress output. */
  onStep?: (step: ProvisionStep) => void;
}

interface Clients {
  s3: S3Client;
  sqs: SQSClient;
  dynamo: DynamoDBClient;
  documents: DynamoDBDocumentClient;
  ssm: SSMClient;
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchBucket' || e?.$metadata?.httpStatusCode === 404;
}

async function ensureBucket(clients: Clients, name: string): Promise<ProvisionStep> {
  try {
    await clients.s3.send(new HeadBucketCommand({ Bucket: name }));
    return { kind: 'bucket', name, action: 'found' };
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  await createBucket(clients.s3, name);
  return { kind: 'bucket', name, action: 'created' };
}

async function queueArn(clients: Clients, url: string): Promise<string> {
  const { Attributes } = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  return Attributes!.QueueArn!;
}

async function ensureQueue(
  clients: Clients,
  name: string,
  attributes: Record<string, string>,
): Promise<{ step: ProvisionStep; url: string; arn: string }> {
  let url: string | undefined;
  try {
    url = (await clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  } catch (error) {
    if (
      !(error instanceof QueueDoesNotExist) &&
      (error as { name?: string }).name !== 'AWS.SimpleQueueService.NonExistentQueue'
    ) {
      throw error;
    }
  }
  if (!url) {
    url = (await clients.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes })))
      .QueueUrl!;
    return { step: { kind: 'queue', name, action: 'created' }, url, arn: await queueArn(clients, url) };
  }
  const names = Object.keys(attributes);
  const current: Record<string, string | undefined> = names.length
    ? ((
        await clients.sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: names as never }),
        )
      ).Attributes ?? {})
    : {};
  const differs = names.filter((n) =>
    n === 'RedrivePolicy'
      ? !isDeepStrictEqual(normaliseRedrive(current[n]), normaliseRedrive(attributes[n]))
      : current[n] !== attributes[n],
  );
  if (differs.length) {
    await clients.sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
    return {
      step: { kind: 'queue', name, action: 'updated', detail: differs.join(', ') },
      url,
      arn: await queueArn(clients, url),
    };
  }
  return { step: { kind: 'queue', name, action: 'found' }, url, arn: await queueArn(clients, url) };
}

/**
 * Gives a queue that buckets notify the access policy S3 needs to send to it (see queue-policy.ts),
 * folding the change into the queue's own step: created stays created, found becomes updated.
 */
async function ensureNotificationPolicy(
  clients: Clients,
  ensured: { step: ProvisionStep; url: string; arn: string },
  buckets: string[],
): Promise<ProvisionStep> {
  if (buckets.length === 0) return ensured.step;
  const wanted = s3NotificationQueuePolicy(ensured.arn, buckets);
  const { Attributes } = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: ensured.url, AttributeNames: ['Policy'] }),
  );
  if (samePolicy(Attributes?.Policy, wanted)) return ensured.step;
  await clients.sqs.send(
    new SetQueueAttributesCommand({ QueueUrl: ensured.url, Attributes: { Policy: wanted } }),
  );
  const { step } = ensured;
  if (step.action === 'created') return step;
  return { ...step, action: 'updated', detail: step.detail ? `${step.detail}, Policy` : 'Policy' };
}

function normaliseRedrive(value: string | undefined): unknown {
  if (!value) return undefined;
  const parsed = JSON.parse(value) as { deadLetterTargetArn: string; maxReceiveCount: string | number };
  return { deadLetterTargetArn: parsed.deadLetterTargetArn, maxReceiveCount: Number(parsed.maxReceiveCount) };
}

function queueAttributes(spec: QueueSpec, deadLetterArn?: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  if (spec.visibilityTimeoutSeconds !== undefined)
    attributes.VisibilityTimeout = String(spec.visibilityTimeoutSeconds);
  if (spec.receiveWaitTimeSeconds !== undefined)
    attributes.ReceiveMessageWaitTimeSeconds = String(spec.receiveWaitTimeSeconds);
  if (spec.messageRetentionSeconds !== undefined)
    attributes.MessageRetentionPeriod = String(spec.messageRetentionSeconds);
  if (spec.deadLetter && deadLetterArn) {
    attributes.RedrivePolicy = JSON.stringify({
      deadLetterTargetArn: deadLetterArn,
      maxReceiveCount: spec.deadLetter.maxReceiveCount,
    });
  }
  return attributes;
}

function notificationId(spec: NotificationSpec): string {
  return spec.id ?? `egress-${spec.queue}-${spec.suffix ?? 'all'}`.replace(/[^A-Za-z0-9_.-]/g, '-');
}

function sameConfiguration(a: QueueConfiguration, b: QueueConfiguration): boolean {
  const rules = (c: QueueConfiguration) =>
    (c.Filter?.Key?.FilterRules ?? []).map((r) => `${String(r.Name).toLowerCase()}=${r.Value}`).sort();
  return (
    a.QueueArn === b.QueueArn &&
    isDeepStrictEqual([...(a.Events ?? [])].sort(), [...(b.Events ?? [])].sort()) &&
    isDeepStrictEqual(rules(a), rules(b))
  );
}

async function ensureNotification(
  clients: Clients,
  spec: NotificationSpec,
  arn: string,
): Promise<ProvisionStep> {
  const id = notificationId(spec);
  const wanted: QueueConfiguration = {
    Id: id,
    QueueArn: arn,
    Events: spec.events as QueueConfiguration['Events'],
    ...(spec.prefix !== undefined || spec.suffix !== undefined
      ? {
          Filter: {
            Key: {
              FilterRules: [
                ...(spec.prefix !== undefined ? [{ Name: 'prefix' as const, Value: spec.prefix }] : []),
                ...(spec.suffix !== undefined ? [{ Name: 'suffix' as const, Value: spec.suffix }] : []),
              ],
            },
          },
        }
      : {}),
  };
  const current = await clients.s3.send(
    new GetBucketNotificationConfigurationCommand({ Bucket: spec.bucket }),
  );
  const existing = current.QueueConfigurations ?? [];
  const same = existing.find((c) => c.Id === id);
  if (same && sameConfiguration(same, wanted))
    return { kind: 'notification', name: `${spec.bucket} → ${spec.queue}`, action: 'found' };
  // Keep every other configuration of the bucket: a PUT replaces the whole set.
  await clients.s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: spec.bucket,
      NotificationConfiguration: {
        QueueConfigurations: [...existing.filter((c) => c.Id !== id), wanted],
        TopicConfigurations: current.TopicConfigurations,
        LambdaFunctionConfigurations: current.LambdaFunctionConfigurations,
      },
    }),
  );
  return {
    kind: 'notification',
    name: `${spec.bucket} → ${spec.queue}`,
    action: same ? 'updated' : 'created',
  };
}

async function ensureTable(clients: Clients, spec: TableSpec): Promise<ProvisionStep> {
  try {
    const { Table } = await clients.dynamo.send(new DescribeTableCommand({ TableName: spec.name }));
    const keys = Object.fromEntries((Table?.KeySchema ?? []).map((k) => [k.KeyType, k.AttributeName]));
    if (keys.HASH !== spec.hashKey || keys.RANGE !== spec.rangeKey) {
      throw new Error(
        `table ${spec.name} exists with key (${keys.HASH}, ${keys.RANGE ?? '-'}), not the declared (${spec.hashKey}, ${spec.rangeKey ?? '-'})`,
      );
    }
    return { kind: 'table', name: spec.name, action: 'found' };
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  await createKeyedTable(clients.dynamo, spec.name, spec);
  return { kind: 'table', name: spec.name, action: 'created' };
}

async function ensureItems(
  clients: Clients,
  spec: TableSpec,
  items: Record<string, unknown>[],
): Promise<ProvisionStep> {
  const keyOf = (item: Record<string, unknown>) =>
    `${item[spec.hashKey]}\u0000${spec.rangeKey ? item[spec.rangeKey] : ''}`;
  const existing = new Map<string, Record<string, unknown>>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await clients.documents.send(
      new ScanCommand({ TableName: spec.name, ExclusiveStartKey: start }),
    );
    for (const item of page.Items ?? []) existing.set(keyOf(item), item);
    start = page.LastEvaluatedKey;
  } while (start);
  let created = 0;
  let updated = 0;
  for (const item of items) {
    const current = existing.get(keyOf(item));
    if (current && isDeepStrictEqual(current, item)) continue;
    await clients.documents.send(new PutCommand({ TableName: spec.name, Item: item }));
    if (current) updated++;
    else created++;
  }
  const action: ProvisionAction = created ? 'created' : updated ? 'updated' : 'found';
  return {
    kind: 'items',
    name: spec.name,
    action,
    detail: `${items.length} items: ${created} created, ${updated} updated, ${items.length - created - updated} unchanged`,
  };
}

async function ensureParameter(
  clients: Clients,
  spec: { name: string; type: string; value: string },
): Promise<ProvisionStep> {
  try {
    const { Parameter } = await clients.ssm.send(
      new GetParameterCommand({ Name: spec.name, WithDecryption: true }),
    );
    if (Parameter?.Value === spec.value && Parameter.Type === spec.type)
      return { kind: 'parameter', name: spec.name, action: 'found' };
    await clients.ssm.send(
      new PutParameterCommand({
        Name: spec.name,
        Value: spec.value,
        Type: spec.type as never,
        Overwrite: true,
      }),
    );
    return { kind: 'parameter', name: spec.name, action: 'updated' };
  } catch (error) {
    if (!(error instanceof ParameterNotFound)) throw error;
  }
  await clients.ssm.send(
    new PutParameterCommand({ Name: spec.name, Value: spec.value, Type: spec.type as never }),
  );
  return { kind: 'parameter', name: spec.name, action: 'created' };
}

/**
 * Makes an endpoint match an environment: creates what is missing, updates what differs and
 * leaves what matches alone, reporting each step. Works against the embedded edge, LocalStack or
 * real AWS (the latter only with `confirmRealAws`).
 */
export async function provisionEnvironment(
  target: AwsTarget,
  loaded: LoadedEnvironment,
  options: ProvisionOptions = {},
): Promise<ProvisionReport> {
  if (!isEmulated(target) && !options.confirmRealAws) throw new RealAwsNotConfirmedError();
  const clients: Clients = {
    s3: createS3Client(target),
    sqs: createSqsClient(target),
    dynamo: createDynamoClient(target),
    documents: createDocumentClient(target),
    ssm: createSsmClient(target),
  };
  const report: ProvisionReport = { steps: [], queues: {} };
  const record = (step: ProvisionStep) => {
    report.steps.push(step);
    options.onStep?.(step);
  };
  const { environment } = loaded;
  const notifiedBy = (queue: string) =>
    environment.notifications.filter((n) => n.queue === queue).map((n) => n.bucket);
  try {
    for (const bucket of environment.buckets) record(await ensureBucket(clients, bucket.name));
    for (const queue of environment.queues) {
      let deadLetterArn: string | undefined;
      if (queue.deadLetter) {
        const dlq = await ensureQueue(clients, queue.deadLetter.name, {});
        record(await ensureNotificationPolicy(clients, dlq, notifiedBy(queue.deadLetter.name)));
        report.queues[queue.deadLetter.name] = { url: dlq.url, arn: dlq.arn };
        deadLetterArn = dlq.arn;
      }
      const ensured = await ensureQueue(clients, queue.name, queueAttributes(queue, deadLetterArn));
      record(await ensureNotificationPolicy(clients, ensured, notifiedBy(queue.name)));
      report.queues[queue.name] = { url: ensured.url, arn: ensured.arn };
    }
    for (const notification of environment.notifications) {
      const arn = report.queues[notification.queue]!.arn;
      record(await ensureNotification(clients, notification, arn));
    }
    for (const table of environment.tables) {
      record(await ensureTable(clients, table));
      const items = loaded.items.get(table.name);
      if (items) record(await ensureItems(clients, table, items));
    }
    for (const parameter of environment.parameters) record(await ensureParameter(clients, parameter));
  } finally {
    for (const client of Object.values(clients)) client.destroy();
  }
  return report;
}
