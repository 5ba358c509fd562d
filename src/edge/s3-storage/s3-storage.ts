import { mkdtemp } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { BuildAppOptions } from 'fauxqs';
import type { Logger } from '../../logging/logger.ts';
import { parseS3Request } from '../s3-request.ts';
import { BlobStore, type BlobStoreStats } from './blob-store.ts';
import { S3StorageError } from './errors.ts';
import { ObjectCatalog, type PersistedBucket, referencedFiles } from './object-catalog.ts';
import { ObjectRequests } from './object-requests.ts';

/** Options of {@link openS3Storage}. */
export interface S3StorageOptions {
  /**
   * Directory for object bodies, owned by the storage and removed when it closes. It must be empty,
   * missing, or one the storage used before. Default: a new directory under the system's temporary
   * directory.
   */
  directory?: string;
  /** Bodies up to this many bytes stay in memory. @defaultValue 256 KiB */
  inlineMaxBytes?: number;
  /** Cap on the bytes of all in-memory bodies together. @defaultValue 64 MiB */
  inlineTotalMaxBytes?: number;
  /** Largest body of one PutObject or UploadPart request. @defaultValue 11 MiB (fauxqs's limit) */
  maxBodyBytes?: number;
  /**
   * Keep the bodies when the storage closes (`--persist`), and start from this snapshot of an
   * earlier run (see {@link S3Storage.snapshot}).
   */
  persistent?: { restore?: readonly PersistedBucket[] | undefined } | undefined;
  logger: Logger;
}

/** What a persistent storage restored at open. */
export interface S3RestoreSummary {
  buckets: number;
  objects: number;
  /** Objects of the snapshot whose bodies were gone (deleted by a run that was killed after it). */
  dropped: { bucket: string; key: string }[];
}

/** What the storage holds now. */
export interface S3StorageStats extends BlobStoreStats {
  directory: string;
  buckets: number;
  objects: number;
  uploads: number;
}

/**
 * The embedded S3's storage: a catalogue in memory (metadata and small bodies) and object bodies
 * as files. fauxqs keeps serving the S3 API — it is given the catalogue as its store through
 * `buildApp({ stores })` — while the object-data requests are answered by {@link handle}, streaming.
 * See docs/performance.md ("Object bodies on disk") for why it is built this way.
 */
export class S3Storage {
  private constructor(
    private readonly blobs: BlobStore,
    readonly catalog: ObjectCatalog,
    private readonly requests: ObjectRequests,
    private readonly persistent: boolean,
    /** What was restored at open (persistent storage only). */
    readonly restored: S3RestoreSummary | undefined,
  ) {}

  /** The storage directory (absolute). */
  get directory(): string {
    return this.blobs.directory;
  }

  /** The stores to pass to fauxqs's `buildApp` (the catalogue stands in for its in-memory S3Store). */
  fauxqsStores(): NonNullable<BuildAppOptions['stores']> {
    // fauxqs types its store as its own class, whose private fields no other class can match, and
    // types all three stores as required although it creates whichever is missing (app.js: `stores
    // ?.sqsStore ?? new SqsStore()`). The catalogue implements every method its S3 actions call
    // (test/edge/s3-storage*.test.ts exercises each through the real SDK).
    return { s3Store: this.catalog } as unknown as NonNullable<BuildAppOptions['stores']>;
  }

  /** Answers GetObject, PutObject, CopyObject and UploadPart(Copy) itself; false for anything else. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    return this.requests.handle(req, res);
  }

  /**
   * HeadObject for the edge's own in-process calls (the notifier reads an object's size and ETag
   * after every write): answered from the catalogue, with fauxqs's HeadObject headers, without
   * going through an injected HTTP request. Undefined for anything but a path-style object HEAD.
   */
  headObject(
    url: string,
  ): { statusCode: number; headers: Record<string, string>; rawPayload: Buffer } | undefined {
    const info = parseS3Request(url);
    if (!info || info.key === undefined) return undefined;
    try {
      const object = this.catalog.headObject(info.bucket, info.key);
      const headers: Record<string, string> = {
        'content-type': object.contentType,
        'content-length': String(object.contentLength),
        etag: object.etag,
        'last-modified': object.lastModified.toUTCString(),
      };
      for (const [name, value] of Object.entries(object.metadata)) headers[`x-amz-meta-${name}`] = value;
      return { statusCode: 200, headers, rawPayload: Buffer.alloc(0) };
    } catch (error) {
      if (!(error instanceof S3StorageError)) throw error;
      return { statusCode: error.statusCode, headers: {}, rawPayload: Buffer.alloc(0) };
    }
  }

  stats(): S3StorageStats {
    return { directory: this.directory, ...this.blobs.stats(), ...this.catalog.counts() };
  }

  /** Waits for pending file removals (tests observe the directory after a delete). */
  settle(): Promise<void> {
    return this.blobs.settle();
  }

  /**
   * Every bucket and object with the files of their bodies, for a persistent storage to restore
   * from at its next open. Take it when no request is under way (the edge stops serving first).
   */
  snapshot(): PersistedBucket[] {
    return this.catalog.snapshot();
  }

  /** Forgets every object and removes the directory — or, when persistent, leaves the bodies in place. */
  async close(): Promise<void> {
    if (this.persistent) {
      await this.blobs.close();
      return;
    }
    this.catalog.purgeAll();
    await this.blobs.destroy();
  }

  static async open(options: S3StorageOptions): Promise<S3Storage> {
    const maxBodyBytes = options.maxBodyBytes ?? 11 * 1024 * 1024;
    if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1) {
      throw new RangeError(`maxBodyBytes must be a positive integer, got ${maxBodyBytes}`);
    }
    const directory = options.directory ?? (await mkdtemp(path.join(os.tmpdir(), 'egress-edge-s3-')));
    const restore = options.persistent?.restore ?? [];
    const blobs = await BlobStore.open({
      directory,
      logger: options.logger,
      ...(options.persistent ? { retainFiles: referencedFiles(restore) } : {}),
      ...(options.inlineMaxBytes !== undefined ? { inlineMaxBytes: options.inlineMaxBytes } : {}),
      ...(options.inlineTotalMaxBytes !== undefined
        ? { inlineTotalMaxBytes: options.inlineTotalMaxBytes }
        : {}),
    });
    const catalog = new ObjectCatalog(blobs);
    let restored: S3RestoreSummary | undefined;
    if (options.persistent) {
      const { objects, dropped } = catalog.restore(restore);
      restored = { buckets: restore.length, objects, dropped };
    }
    return new S3Storage(
      blobs,
      catalog,
      new ObjectRequests(catalog, blobs, options.logger, maxBodyBytes),
      options.persistent !== undefined,
      restored,
    );
  }
}
