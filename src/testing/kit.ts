import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { HeadObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { STSClient } from '@aws-sdk/client-sts';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createBucket } from '../aws/buckets.ts';
import {
  createDocumentClient,
  createDynamoClient,
  createS3Client,
  createSqsClient,
  createSsmClient,
  createStsClient,
} from '../aws/clients.ts';
import {
  type EnvironmentDeclaration,
  environmentFromObject,
  type ProvisionReport,
  provisionEnvironment,
} from '../aws/provisioning/index.ts';
import type { AwsTarget } from '../aws/target.ts';
import type { Edge } from '../edge/index.ts';
import {
  type EgressService,
  type EgressServiceConfig,
  type EgressServiceOptions,
  startEgressService,
} from '../egress/index.ts';
import type { MotoServer } from '../peers/moto.ts';
import { EventLog } from './event-log.ts';
import { flagEvent } from './flag-event.ts';
import { queueDepth, receiveOne, sendFlagEvents, sendMessage } from './queue-messages.ts';
import { writeItems } from './routing-items.ts';
import { getBytes, headObject, listKeys, putObject } from './s3-objects.ts';
import { type KitTarget, type KitTargetChoice, type KitTargetOptions, startKitTarget } from './target.ts';
import { uniqueName } from './unique-name.ts';
import { FLAG_SUFFIX, type WorldOptions, worldEnvironment, worldNames } from './world.ts';

/** One SDK client per service, for the kit's target. */
export interface KitClients {
  s3: S3Client;
  sqs: SQSClient;
  dynamo: DynamoDBClient;
  documents: DynamoDBDocumentClient;
  ssm: SSMClient;
  sts: STSClient;
}

/** The queues, table, buckets and SFT root of one test, all provisioned and uniquely named. */
export interface TestWorld {
  queue: string;
  queueUrl: string;
  deadLetterQueue: string;
  deadLetterQueueUrl: string;
  table: string;
  /** Bucket name by the role given in {@link WorldOptions.buckets}. */
  buckets: Record<string, string>;
  /** A fresh directory for SFT deliveries, removed when the kit stops. */
  sftRoot: string;
}

/** Options for {@link startTestKit}. */
export interface TestKitOptions extends KitTargetOptions {
  /** Where the AWS calls go. @defaultValue `embedded` */
  target?: KitTargetChoice;
}

/** A started egress service and the events it has emitted since it started. */
export interface StartedService {
  service: EgressService;
  events: EventLog;
}

/**
 * The one way tests, the BDD World, chaos and the benchmarks build a world: a target (embedded edge,
 * moto, or an endpoint), clients for it, worlds provisioned through the environment-file format,
 * egress services on those worlds, and the reads and writes tests repeat. `stop()` ends all of it.
 */
export class TestKit {
  readonly clients: KitClients;
  private readonly services: EgressService[] = [];
  private readonly directories: string[] = [];

  constructor(private readonly started: KitTarget) {
    const target = started.aws;
    this.clients = {
      s3: createS3Client(target),
      sqs: createSqsClient(target),
      dynamo: createDynamoClient(target),
      documents: createDocumentClient(target),
      ssm: createSsmClient(target),
      sts: createStsClient(target),
    };
  }

  /** The AWS target every client and service of the kit uses. */
  get target(): AwsTarget {
    return this.started.aws;
  }

  get kind(): KitTarget['kind'] {
    return this.started.kind;
  }

  /** The embedded edge; a test that needs its hooks runs on the embedded target only. */
  get edge(): Edge {
    if (!this.started.edge) throw new Error(`the kit runs on ${this.started.kind}, not the embedded edge`);
    return this.started.edge;
  }

  /** The moto server, when the kit started one. */
  get moto(): MotoServer | undefined {
    return this.started.moto;
  }

  /** Makes the target match an environment declaration, as `egress provision` would. */
  async provision(environment: EnvironmentDeclaration): Promise<ProvisionReport> {
    return provisionEnvironment(this.target, await environmentFromObject(environment, 'test kit'));
  }

  /** A queue with its dead-letter queue, a routing table, buckets and an SFT root for one test. */
  async world(options: WorldOptions = {}): Promise<TestWorld> {
    const names = worldNames(options);
    const report = await this.provision(worldEnvironment(names, options));
    const sftRoot = await mkdtemp(path.join(os.tmpdir(), 'egress-sft-'));
    this.directories.push(sftRoot);
    return {
      ...names,
      queueUrl: report.queues[names.queue]!.url,
      deadLetterQueueUrl: report.queues[names.deadLetterQueue]!.url,
      sftRoot,
    };
  }

  /** A new bucket, its name starting with `prefix`. */
  async bucket(prefix = 'bucket'): Promise<string> {
    const name = uniqueName(prefix);
    await createBucket(this.clients.s3, name);
    return name;
  }

  /** Buckets with exactly these names (provisioned: one that exists already is left as it is). */
  async createBuckets(...names: string[]): Promise<void> {
    await this.provision({ buckets: names.map((name) => ({ name })) });
  }

  /** A queue with exactly this name and no dead-letter queue; resolves to its URL. */
  async createQueue(name: string): Promise<string> {
    return (await this.provision({ queues: [{ name }] })).queues[name]!.url;
  }

  /** A routing table (`source_prefix`, `pipeline_name`) with exactly this name. */
  async createTable(name: string): Promise<void> {
    await this.provision({ tables: [{ name }] });
  }

  /**
   * Makes object creations in `bucket` (keys ending `suffix`, when given) notify a queue, named or
   * given by URL. The queue is declared without attributes, so provisioning leaves its redrive
   * policy and timeouts as they are; it gains the policy S3 needs to send to it.
   */
  async notify(bucket: string, queue: string, suffix?: string): Promise<void> {
    const name = queue.slice(queue.lastIndexOf('/') + 1);
    await this.provision({
      buckets: [{ name: bucket }],
      queues: [{ name }],
      notifications: [{ bucket, queue: name, ...(suffix !== undefined ? { suffix } : {}) }],
    });
  }

  /** Makes `…pipeline_success.flag` objects created in `bucket` notify the world's queue. */
  notifyFlags(world: Pick<TestWorld, 'queue'>, bucket: string): Promise<void> {
    return this.notify(bucket, world.queue, FLAG_SUFFIX);
  }

  /** One routing item in the world's table. */
  async putRule(world: Pick<TestWorld, 'table'>, item: Record<string, unknown>): Promise<void> {
    await this.clients.documents.send(new PutCommand({ TableName: world.table, Item: item }));
  }

  /** Many routing items, in batches. */
  async putRules(world: Pick<TestWorld, 'table'>, items: readonly Record<string, unknown>[]): Promise<void> {
    await writeItems(this.clients.documents, world.table, items);
  }

  /** Writes an object (multipart above 8 MiB; a stream is never held whole). */
  async putObject(
    bucket: string,
    key: string,
    body: string | Buffer | Readable,
    metadata?: Record<string, string>,
  ): Promise<void> {
    await putObject(this.clients.s3, bucket, key, body, metadata);
  }

  /** Sends the S3 event of a flag object `key` in `bucket`, as a notification would. */
  sendFlag(world: Pick<TestWorld, 'queueUrl'>, key: string, bucket = 'source'): Promise<string> {
    return this.sendRaw(world, flagEvent(bucket, key, this.target.region));
  }

  /** The S3 events of many flag objects, ten per batch. */
  async sendFlags(
    world: Pick<TestWorld, 'queueUrl'>,
    bucket: string,
    keys: readonly string[],
  ): Promise<void> {
    await sendFlagEvents(this.clients.sqs, world.queueUrl, bucket, keys);
  }

  /** Sends any message body to the world's queue; resolves to its message id. */
  sendRaw(world: Pick<TestWorld, 'queueUrl'>, body: string): Promise<string> {
    return sendMessage(this.clients.sqs, world.queueUrl, body);
  }

  /**
   * Starts the egress service on a world, with timings short enough for tests; stopped by
   * {@link stop} (stopping it earlier is fine).
   */
  async startService(
    world: TestWorld,
    overrides: Partial<EgressServiceConfig> = {},
    options: EgressServiceOptions = {},
  ): Promise<StartedService> {
    const service = await startEgressService(
      {
        aws: this.target,
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

  getBytes(bucket: string, key: string): Promise<Buffer> {
    return getBytes(this.clients.s3, bucket, key);
  }

  head(bucket: string, key: string): Promise<HeadObjectCommandOutput> {
    return headObject(this.clients.s3, bucket, key);
  }

  /** Every key under `prefix`, sorted. */
  keys(bucket: string, prefix = ''): Promise<string[]> {
    return listKeys(this.clients.s3, bucket, prefix);
  }

  queueDepth(queueUrl: string): Promise<{ visible: number; inFlight: number }> {
    return queueDepth(this.clients.sqs, queueUrl);
  }

  /** True when the queue holds no message, visible or in flight. */
  async queueIsEmpty(queueUrl: string): Promise<boolean> {
    const depth = await this.queueDepth(queueUrl);
    return depth.visible + depth.inFlight === 0;
  }

  /** One message of a queue (attributes included), or `undefined` after a second. */
  receiveOne(queueUrl: string): Promise<Message | undefined> {
    return receiveOne(this.clients.sqs, queueUrl);
  }

  /** Stops the services, the clients and what the target started, and removes the SFT roots. */
  async stop(): Promise<void> {
    await Promise.all(this.services.map((service) => service.stop()));
    for (const client of Object.values(this.clients)) client.destroy();
    await this.started.stop();
    await Promise.all(this.directories.map((directory) => rm(directory, { recursive: true, force: true })));
  }
}

/** Starts a kit on the chosen target (default: an embedded edge on a free port). */
export async function startTestKit(options: TestKitOptions = {}): Promise<TestKit> {
  return new TestKit(await startKitTarget(options.target ?? 'embedded', options));
}
