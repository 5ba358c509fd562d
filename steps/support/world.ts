import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { Upload } from '@aws-sdk/lib-storage';
import { type IWorldOptions, setWorldConstructor, World } from '@cucumber/cucumber';
import {
  createDocumentClient,
  createS3Client,
  createSqsClient,
  createSsmClient,
} from '../../src/aws/clients.ts';
import type { AwsTarget } from '../../src/aws/target.ts';
import { waitFor } from '../../src/util/wait.ts';
import type { TestTarget } from './target.ts';

/** A stored object as a scenario sees it. */
export interface StoredObject {
  key: string;
  body: Buffer;
  metadata: Record<string, string>;
}

/**
 * Per-scenario state. Every scenario gets a unique id; keys and rule prefixes it creates live
 * under `bdd-<id>/` so scenarios never see each other's data, and its rules are removed after it.
 */
export class EgressWorld extends World {
  target!: TestTarget;
  id = randomUUID().slice(0, 8);
  startedAt = new Date();
  logMark = 0;
  s3!: S3Client;
  sqs!: SQSClient;
  ssm!: SSMClient;
  documents!: DynamoDBDocumentClient;
  /** Rules this scenario put in the table, removed afterwards. */
  readonly rules: { source_prefix: string; pipeline_name: string }[] = [];
  /** Bodies uploaded by this scenario, by scenario-relative key. */
  readonly uploads = new Map<string, Buffer>();
  /** Free-form values steps hand to later steps. */
  readonly notes = new Map<string, unknown>();
  private readonly cleanups: (() => Promise<unknown>)[] = [];

  constructor(options: IWorldOptions) {
    super(options);
  }

  async init(target: TestTarget): Promise<void> {
    this.target = target;
    const aws: AwsTarget = {
      region: target.state.region,
      endpoint: target.state.aws.endpoint,
      credentials: {
        accessKeyId: target.state.aws.accessKeyId,
        secretAccessKey: target.state.aws.secretAccessKey,
      },
    };
    this.s3 = createS3Client(aws);
    this.sqs = createSqsClient(aws);
    this.ssm = createSsmClient(aws);
    this.documents = createDocumentClient(aws);
    this.logMark = await target.logMark();
  }

  /** The scenario's own area: `bdd-<id>/<relative>`; an absolute key keeps its leading slash. */
  scoped(relative: string): string {
    return relative.startsWith('/') ? `/bdd-${this.id}${relative}` : `bdd-${this.id}/${relative}`;
  }

  /** Today in the service's time zone (UTC unless TZ says otherwise), in the given shape. */
  today(format: 'yyyy-MM-dd' | 'yyyyMMdd' = 'yyyy-MM-dd'): string {
    const parts = new Intl.DateTimeFormat('en-CA', {
      timeZone: process.env.TZ || 'UTC',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).formatToParts(new Date());
    const get = (type: string) => parts.find((p) => p.type === type)!.value;
    return format === 'yyyyMMdd'
      ? `${get('year')}${get('month')}${get('day')}`
      : `${get('year')}-${get('month')}-${get('day')}`;
  }

  /** Replaces `<today>` / `<ymd>` / `<id>` in feature text with this scenario's values. */
  expand(text: string): string {
    return text
      .replaceAll('<today>', this.today())
      .replaceAll('<ymd>', this.today('yyyyMMdd'))
      .replaceAll('<id>', this.id);
  }

  /** Sample content in the shape the original's integration tests used, unique to this scenario. */
  sampleContent(identifier: string, lines = 100): Buffer {
    const rows = Array.from(
      { length: lines },
      (_, i) => `${identifier}-${this.id},ENCRYPTED,CBOL,REPORT,LINE,NUMBER,${i}`,
    );
    return Buffer.from(rows.join('\n'));
  }

  async putObject(
    bucket: string,
    key: string,
    body: Buffer,
    metadata: Record<string, string> = {},
  ): Promise<void> {
    await new Upload({
      client: this.s3,
      params: { Bucket: bucket, Key: key, Body: body, Metadata: metadata },
      partSize: 8 * 1024 * 1024,
    }).done();
  }

  async putFlag(bucket: string, key: string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: '', ContentLength: 0 }));
  }

  async putRule(item: Record<string, unknown>): Promise<void> {
    await this.documents.send(new PutCommand({ TableName: this.target.state.table, Item: item }));
    this.rules.push({ source_prefix: String(item.source_prefix), pipeline_name: String(item.pipeline_name) });
  }

  async getObject(bucket: string, key: string): Promise<StoredObject | undefined> {
    try {
      const result = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return {
        key,
        body: Buffer.from(await result.Body!.transformToByteArray()),
        metadata: result.Metadata ?? {},
      };
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  async listKeys(bucket: string, prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      keys.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.NextContinuationToken;
    } while (token);
    return keys;
  }

  /** Waits until the object exists (and, if given, `accept` says it is the right one). */
  async waitForObject(
    bucket: string,
    key: string,
    options: { timeoutMs?: number; accept?: (object: StoredObject) => boolean } = {},
  ): Promise<StoredObject> {
    return waitFor(
      async () => {
        const object = await this.getObject(bucket, key);
        return object && (!options.accept || options.accept(object)) ? object : undefined;
      },
      { timeoutMs: options.timeoutMs ?? 20_000, intervalMs: 50, description: `s3://${bucket}/${key}` },
    );
  }

  /** Registers work to undo after the scenario (runs before the clients are closed). */
  onCleanup(work: () => Promise<unknown>): void {
    this.cleanups.push(work);
  }

  async cleanup(): Promise<void> {
    await Promise.allSettled(this.cleanups.map((work) => work()));
    await Promise.allSettled(
      this.rules.map((key) =>
        this.documents.send(new DeleteCommand({ TableName: this.target.state.table, Key: key })),
      ),
    );
    for (const client of [this.s3, this.sqs, this.ssm, this.documents]) client?.destroy();
  }
}

setWorldConstructor(EgressWorld);
