import { readFile } from 'node:fs/promises';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { MessageProcessor, type MessageVerdict } from '../../../src/egress/message-processor.ts';
import { EgressEventBus } from '../../../src/egress/observability/events.ts';
import { EgressMetrics } from '../../../src/egress/observability/metrics.ts';
import type { Destination } from '../../../src/egress/plan/destinations.ts';
import { resolveSftLocation } from '../../../src/egress/plan/sft-paths.ts';
import type { RuleEgressDependencies } from '../../../src/egress/rule-egress.ts';
import type { RuleRepository } from '../../../src/egress/rules/repository.ts';
import { parseRoutingItems } from '../../../src/egress/rules/schema.ts';
import { plainContentOnly } from '../../../src/egress/transfer/content-seam.ts';
import { DeliverySinks } from '../../../src/egress/transfer/delivery.ts';
import type { DestinationClients } from '../../../src/egress/transfer/destination-clients.ts';
import { silentLogger } from '../../../src/logging/logger.ts';
import { EGRESS_EVENT_NAMES, type EventLog, emptyEventLog } from './compare.ts';

/*
 * The egress service's own message processing — MessageProcessor → matchFlags → egressRule →
 * transferObject → the real SFT sink — with only S3 replaced: source objects come from memory and
 * S3 writes are recorded. Property tests compare what it writes with `egress routes explain`.
 */

/** An object in a source bucket; its content is its key unless given. */
export interface MemoryObject {
  readonly bucket: string;
  readonly key: string;
  readonly body?: Buffer | undefined;
}

/** One file the service wrote (data, control or manifest), with its bytes. */
export interface Written {
  readonly destination: Destination;
  readonly content: Buffer;
}

export interface InMemoryRun {
  readonly verdict: MessageVerdict;
  readonly written: readonly Written[];
  readonly events: EventLog;
}

function bodyOf(object: MemoryObject): Buffer {
  return object.body ?? Buffer.from(object.key);
}

/** Just enough of an S3 client for the service's source side: ListObjectsV2 and GetObject. */
function memorySource(objects: readonly MemoryObject[]): S3Client {
  const send = async (command: unknown) => {
    if (command instanceof ListObjectsV2Command) {
      const { Bucket, Prefix = '' } = command.input;
      const contents = objects
        .filter((object) => object.bucket === Bucket && object.key.startsWith(Prefix))
        .sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)))
        .map((object) => ({ Key: object.key, Size: bodyOf(object).length }));
      return { Contents: contents, IsTruncated: false };
    }
    if (command instanceof GetObjectCommand) {
      const found = objects.find(
        (object) => object.bucket === command.input.Bucket && object.key === command.input.Key,
      );
      if (!found) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey' });
      const body = bodyOf(found);
      return { Body: Readable.from([body]), Metadata: {}, ContentLength: body.length };
    }
    throw new Error(`the in-memory S3 does not answer ${(command as object).constructor.name}`);
  };
  return { send } as unknown as S3Client;
}

async function collect(stages: [Readable, ...NodeJS.ReadWriteStream[]]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  await pipeline([...stages, sink] as unknown as Parameters<typeof pipeline>[0][]);
  return Buffer.concat(chunks);
}

/**
 * Runs ONE message carrying `flagKeys` through the service's processing with `items` as the table,
 * `objects` in the source buckets and SFT files written under `sftRoot`, at `now` (UTC).
 */
export async function processInMemory(options: {
  items: readonly unknown[];
  objects: readonly MemoryObject[];
  flagKeys: readonly string[];
  now: Date;
  sftRoot: string;
}): Promise<InMemoryRun> {
  const events = emptyEventLog();
  const bus = new EgressEventBus();
  for (const name of EGRESS_EVENT_NAMES) {
    bus.on(name, (payload) => (events[name] as unknown[]).push(payload));
  }
  const written: Written[] = [];
  const sftSinks = new DeliverySinks({
    clients: {} as DestinationClients,
    sftRoot: options.sftRoot,
    upload: { partSizeBytes: 5 * 1024 * 1024, queueSize: 1 },
  });
  const sinks = {
    async deliver(request: Parameters<DeliverySinks['deliver']>[0]): Promise<number> {
      if (request.destination.transferType === 'SFT') {
        const bytes = await sftSinks.deliver(request);
        const { directory, fileName } = request.destination;
        const file = resolveSftLocation(options.sftRoot, directory, fileName).file;
        written.push({ destination: request.destination, content: await readFile(file) });
        return bytes;
      }
      const content = await collect(request.stages);
      written.push({ destination: request.destination, content });
      return content.length;
    },
  } as unknown as DeliverySinks;
  const { rules, invalid } = parseRoutingItems(options.items);
  const repository = {
    load: async () => ({ rules, invalid, loadedAt: Date.now() }),
  } as unknown as RuleRepository;
  const egress: RuleEgressDependencies = {
    transfer: {
      sourceS3: memorySource(options.objects),
      clients: {} as DestinationClients,
      sinks,
      crypto: plainContentOnly,
      compressionLevel: 6,
    },
    objectLimiter: (task) => task(),
    metrics: new EgressMetrics({ defaultMetrics: false }),
    events: bus,
  };
  const processor = new MessageProcessor({
    rules: repository,
    egress,
    events: bus,
    logger: silentLogger(),
    timeZone: 'UTC',
    clock: () => options.now,
  });
  const body = JSON.stringify({
    Records: options.flagKeys.map((key) => ({
      eventName: 'ObjectCreated:Put',
      s3: { object: { key: encodeURIComponent(key).replace(/%2F/g, '/') } },
    })),
  });
  const verdict = await processor.process(
    { messageId: 'property', body, receiveCount: 1 },
    new AbortController().signal,
  );
  return { verdict, written, events };
}
