import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketNotificationConfigurationCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { Upload } from '@aws-sdk/lib-storage';
import { createBucket } from '../../../src/aws/buckets.ts';
import { createDocumentClient, createS3Client, createSqsClient } from '../../../src/aws/clients.ts';
import { createRoutingTable } from '../../../src/aws/provisioning/routing-table.ts';
import { type Edge, startEdge } from '../../../src/edge/index.ts';
import type { EgressServiceConfig } from '../../../src/egress/config/service-config.ts';
import type { EgressEvents } from '../../../src/egress/observability/events.ts';
import {
  type EgressService,
  type EgressServiceOptions,
  startEgressService,
} from '../../../src/egress/service.ts';

let counter = 0;

/** A name no other test uses (buckets: lower case, digits and dashes). */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}-${randomBytes(3).toString('hex')}`;
}

/** The queues and table one test works with. */
export interface TestWorld {
  queueUrl: string;
  deadLetterQueueUrl: string;
  table: string;
  sftRoot: string;
}

/** Collected service events, for assertions and waiting. */
export class EventLog {
  readonly entries: { [K in keyof EgressEvents]?: EgressEvents[K][] } = {};

  constructor(service: EgressService) {
    const names: (keyof EgressEvents)[] = [
      'message_received',
      'message_processed',
      'message_dead_lettered',
      'flag_unmatched',
      'rule_invalid',
      'object_transferred',
      'object_failed',
      'file_written',
    ];
    for (const name of names) {
      service.on(name, (payload) => {
        this.entries[name] ??= [];
        (this.entries[name] as unknown[]).push(payload);
      });
    }
  }

  of<K extends keyof EgressEvents>(name: K): EgressEvents[K][] {
    return (this.entries[name] ?? []) as EgressEvents[K][];
  }
}

/**
 * One edge per test file, plus helpers that give each test its own buckets, queues, table and SFT
 * root, and stop every service a test started.
 */
export class Harness {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly documents: DynamoDBDocumentClient;
  private readonly services: EgressService[] = [];
  private readonly directories: string[] = [];

  private constructor(readonly edge: Edge) {
    this.s3 = createS3Client(edge.target);
    this.sqs = createSqsClient(edge.target);
    this.documents = createDocumentClient(edge.target);
  }

  static async start(): Promise<Harness> {
    return new Harness(await startEdge({ port: 0 }));
  }

  async close(): Promise<void> {
    await Promise.all(this.services.map((service) => service.stop()));
    this.s3.destroy();
    this.sqs.destroy();
    this.documents.destroy();
    await this.edge.stop();
    await Promise.all(this.directories.map((directory) => rm(directory, { recursive: true, force: true })));
  }

  async bucket(prefix = 'bucket'): Promise<string> {
    const name = uniqueName(prefix);
    await createBucket(this.s3, name);
    return name;
  }

  /** A queue with a DLQ and a redrive policy, a routing table and an SFT root. */
  async world(options: { maxReceiveCount?: number } = {}): Promise<TestWorld> {
    const base = uniqueName('egress');
    const dlq = await this.sqs.send(new CreateQueueCommand({ QueueName: `${base}-dlq` }));
    const dlqArn = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    const queue = await this.sqs.send(
      new CreateQueueCommand({
        QueueName: base,
        Attributes: {
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: dlqArn.Attributes?.QueueArn,
            maxReceiveCount: String(options.maxReceiveCount ?? 10),
          }),
        },
      }),
    );
    const table = `${base}-rules`;
    await createRoutingTable(this.documents, table);
    const sftRoot = await mkdtemp(path.join(os.tmpdir(), 'egress-sft-'));
    this.directories.push(sftRoot);
    return { queueUrl: queue.QueueUrl!, deadLetterQueueUrl: dlq.QueueUrl!, table, sftRoot };
  }

  async putRule(world: TestWorld, item: Record<string, unknown>): Promise<void> {
    await this.documents.send(new PutCommand({ TableName: world.table, Item: item }));
  }

  async putObject(
    bucket: string,
    key: string,
    body: string | Buffer,
    metadata?: Record<string, string>,
  ): Promise<void> {
    await new Upload({
      client: this.s3,
      params: { Bucket: bucket, Key: key, Body: body, ...(metadata ? { Metadata: metadata } : {}) },
      partSize: 8 * 1024 * 1024,
    }).done();
  }

  /** Sends the original's minimal flag message for `key` (URL-encoded as S3 would). */
  async sendFlag(world: TestWorld, key: string, bucket = 'source'): Promise<string> {
    const encoded = encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');
    return this.sendRaw(
      world,
      JSON.stringify({
        Records: [
          { eventName: 'ObjectCreated:Put', s3: { bucket: { name: bucket }, object: { key: encoded } } },
        ],
      }),
    );
  }

  async sendRaw(world: TestWorld, body: string): Promise<string> {
    const sent = await this.sqs.send(new SendMessageCommand({ QueueUrl: world.queueUrl, MessageBody: body }));
    return sent.MessageId!;
  }

  /** Configures S3 → SQS notifications for flags under `bucket`. */
  async notifyFlags(world: TestWorld, bucket: string): Promise<void> {
    const attributes = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: world.queueUrl, AttributeNames: ['QueueArn'] }),
    );
    await this.s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: bucket,
        NotificationConfiguration: {
          QueueConfigurations: [
            {
              QueueArn: attributes.Attributes!.QueueArn!,
              Events: ['s3:ObjectCreated:*'],
              Filter: { Key: { FilterRules: [{ Name: 'suffix', Value: 'pipeline_success.flag' }] } },
            },
          ],
        },
      }),
    );
  }

  async startService(
    world: TestWorld,
    overrides: Partial<EgressServiceConfig> = {},
    options: EgressServiceOptions = {},
  ): Promise<{ service: EgressService; events: EventLog }> {
    const service = await startEgressService(
      {
        aws: this.edge.target,
        queueUrl: world.queueUrl,
        deadLetterQueueUrl: world.deadLetterQueueUrl,
        table: world.table,
        sftRoot: world.sftRoot,
        waitTimeSeconds: 1,
        visibilityTimeoutSeconds: 3,
        heartbeatIntervalSeconds: 1,
        shutdownTimeoutMs: 5_000,
        metricsPort: 0,
        ...overrides,
      },
      options,
    );
    this.services.push(service);
    return { service, events: new EventLog(service) };
  }

  async getText(bucket: string, key: string): Promise<string> {
    return (await this.getBytes(bucket, key)).toString('utf8');
  }

  async getBytes(bucket: string, key: string): Promise<Buffer> {
    const response = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await response.Body!.transformToByteArray());
  }

  async head(bucket: string, key: string) {
    return this.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  }

  async keys(bucket: string, prefix = ''): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      keys.push(...(page.Contents ?? []).map((object) => object.Key!));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  /** Visible + in-flight messages of a queue. */
  /** True when the queue holds no message, visible or in flight. */
  async queueIsEmpty(queueUrl: string): Promise<boolean> {
    const depth = await this.queueDepth(queueUrl);
    return depth.visible + depth.inFlight === 0;
  }

  async queueDepth(queueUrl: string): Promise<{ visible: number; inFlight: number }> {
    const attributes = await this.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return {
      visible: Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  }

  async receiveOne(queueUrl: string) {
    const response = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 1,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    return response.Messages?.[0];
  }
}

/** The original's source content for identifier X (behaviour §9): 100 lines, no trailing newline. */
export function specContent(identifier: string): string {
  return Array.from(
    { length: 100 },
    (_, index) => `${identifier},ENCRYPTED,CBOL,REPORT,LINE,NUMBER,${index}`,
  ).join('\n');
}
