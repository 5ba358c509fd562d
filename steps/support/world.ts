import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type IWorldOptions, setWorldConstructor, World } from '@cucumber/cucumber';
import { startTestKit, type TestKit } from '../../src/testing/index.ts';
import { waitFor } from '../../src/util/wait.ts';
import type { PipelineEvent } from './pipeline-events.ts';
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
  /** Position in the target's pipeline events when the scenario started. */
  eventMark = 0;
  s3!: S3Client;
  sqs!: SQSClient;
  ssm!: SSMClient;
  documents!: DynamoDBDocumentClient;
  /** The test kit on the target's AWS endpoint: the clients above and the object helpers. */
  kit!: TestKit;
  /** Rules this scenario put in the table, removed afterwards. */
  readonly rules: { source_prefix: string; pipeline_name: string }[] = [];
  /** The same rules as stored (scoped prefixes), for steps that refer back to them. */
  readonly ruleRows: Record<string, unknown>[] = [];
  /** Bodies uploaded by this scenario, by scenario-relative key (as the feature names them). */
  readonly uploads = new Map<string, Buffer>();
  /** Flag keys this scenario published (full keys, as the service sees them after decoding). */
  readonly flags: string[] = [];
  /** Free-form values steps hand to later steps. */
  readonly notes = new Map<string, unknown>();
  private readonly cleanups: (() => Promise<unknown>)[] = [];

  constructor(options: IWorldOptions) {
    super(options);
  }

  async init(target: TestTarget): Promise<void> {
    this.target = target;
    this.kit = await startTestKit({
      target: {
        region: target.state.region,
        endpoint: target.state.aws.endpoint,
        credentials: {
          accessKeyId: target.state.aws.accessKeyId,
          secretAccessKey: target.state.aws.secretAccessKey,
        },
      },
    });
    ({ s3: this.s3, sqs: this.sqs, ssm: this.ssm, documents: this.documents } = this.kit.clients);
    this.logMark = await target.logMark();
    this.eventMark = await target.events.mark();
  }

  /** The scenario's own area: `bdd-<id>/<relative>`; an absolute key keeps its leading slash. */
  scoped(relative: string): string {
    return relative.startsWith('/') ? `/bdd-${this.id}${relative}` : `bdd-${this.id}/${relative}`;
  }

  /** A day in the service's time zone (UTC unless TZ says otherwise), in the given shape. */
  today(format: 'yyyy-MM-dd' | 'yyyyMMdd' = 'yyyy-MM-dd', offsetDays = 0): string {
    const parts = new Intl.DateTimeFormat('en-CA', {
      timeZone: process.env.TZ || 'UTC',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).formatToParts(new Date(Date.now() + offsetDays * 86_400_000));
    const get = (type: string) => parts.find((p) => p.type === type)!.value;
    return format === 'yyyyMMdd'
      ? `${get('year')}${get('month')}${get('day')}`
      : `${get('year')}-${get('month')}-${get('day')}`;
  }

  /** Six digits derived from the scenario id (for names whose pattern wants digits). */
  get id6(): string {
    return String(Number.parseInt(this.id.slice(0, 6), 16) % 1_000_000).padStart(6, '0');
  }

  /**
   * Replaces `<today>` (yyyy-MM-dd), `<yesterday>`, `<ymd>` (yyyyMMdd), `<id>` and `<id6>` in feature
   * text with this scenario's values.
   */
  expand(text: string): string {
    return text
      .replaceAll('<today>', this.today())
      .replaceAll('<yesterday>', this.today('yyyy-MM-dd', -1))
      .replaceAll('<ymd>', this.today('yyyyMMdd'))
      .replaceAll('<id6>', this.id6)
      .replaceAll('<id>', this.id);
  }

  /** An S3 key or prefix as a feature names it, placed in the scenario's own area. */
  key(relative: string): string {
    return this.scoped(this.expand(relative));
  }

  /** The bytes this scenario published under a feature-relative key, or a unique file name. */
  published(name: string): Buffer {
    const wanted = this.expand(name);
    const exact = this.uploads.get(wanted);
    if (exact) return exact;
    const byName = [...this.uploads.entries()].filter(([key]) => key.split('/').pop() === wanted);
    if (byName.length === 1) return byName[0]![1];
    throw new Error(
      byName.length === 0
        ? `nothing named "${wanted}" was published in this scenario (published: ${[...this.uploads.keys()].join(', ') || 'nothing'})`
        : `"${wanted}" names several published files; use the full key`,
    );
  }

  /** The pipeline events since the scenario started. */
  async pipelineEvents(): Promise<PipelineEvent[]> {
    return this.target.events.since(this.eventMark);
  }

  /** Waits until the pipeline events since the scenario started satisfy `probe`. */
  async waitForPipeline<T>(
    probe: (events: PipelineEvent[]) => T | undefined | false,
    description: string,
    timeoutMs = 20_000,
  ): Promise<T> {
    return waitFor(async () => probe(await this.pipelineEvents()), {
      timeoutMs,
      intervalMs: 50,
      description,
    });
  }

  /** The sandbox's readable trace since the scenario started (in-process targets only). */
  storySinceStart(): string {
    const entries = this.target?.sandbox?.trace.recent().filter((entry) => entry.at >= this.startedAt) ?? [];
    return entries
      .map((entry) => `${entry.at.toISOString()} ${entry.failure ? '✗' : ' '} [${entry.stage}] ${entry.text}`)
      .join('\n');
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
    await this.kit.putObject(bucket, key, body, metadata);
  }

  async putFlag(bucket: string, key: string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: '', ContentLength: 0 }));
  }

  async putRule(item: Record<string, unknown>): Promise<void> {
    await this.documents.send(new PutCommand({ TableName: this.target.state.table, Item: item }));
    this.rules.push({ source_prefix: String(item.source_prefix), pipeline_name: String(item.pipeline_name) });
    this.ruleRows.push(item);
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
    return (await this.listObjects(bucket, prefix)).map((object) => object.key);
  }

  /** Every object under a prefix (all pages), with its ETag as S3 reports it (quotes removed). */
  async listObjects(bucket: string, prefix: string): Promise<{ key: string; etag: string }[]> {
    const objects: { key: string; etag: string }[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      objects.push(
        ...(page.Contents ?? []).map((o) => ({ key: o.Key!, etag: (o.ETag ?? '').replaceAll('"', '') })),
      );
      token = page.NextContinuationToken;
    } while (token);
    return objects;
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
    // Destroys the clients; the target's endpoint is not the kit's to stop.
    await this.kit?.stop();
  }
}

setWorldConstructor(EgressWorld);
