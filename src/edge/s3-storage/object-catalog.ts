import { createHash, randomUUID } from 'node:crypto';
import type { Blob, BlobStore } from './blob-store.ts';
import { noSuchBucket, noSuchKey, noSuchUpload, S3StorageError } from './errors.ts';

/** An object as a snapshot keeps it: its metadata and its body files in order. */
export interface PersistedObject {
  readonly key: string;
  readonly contentType: string;
  readonly etag: string;
  /** ISO time. */
  readonly lastModified: string;
  readonly metadata: Record<string, string>;
  readonly blobs: readonly { readonly file: string; readonly size: number; readonly md5: string }[];
}

/** A bucket as a snapshot keeps it. */
export interface PersistedBucket {
  readonly name: string;
  /** ISO time. */
  readonly created: string;
  readonly objects: readonly PersistedObject[];
}

/** The body files a snapshot refers to (names within the blob store's folder). */
export function referencedFiles(buckets: readonly PersistedBucket[]): Set<string> {
  const files = new Set<string>();
  for (const bucket of buckets) {
    for (const object of bucket.objects) for (const blob of object.blobs) files.add(blob.file);
  }
  return files;
}

/** S3's smallest part (all but the last), checked at CompleteMultipartUpload as AWS does. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

/**
 * One object: metadata in memory, the body as blobs in order (one for a PutObject, one per part
 * after a multipart upload).
 */
export class StoredObject {
  constructor(
    readonly key: string,
    readonly contentType: string,
    readonly contentLength: number,
    /** Quoted, as S3 sends it. */
    readonly etag: string,
    readonly lastModified: Date,
    readonly metadata: Record<string, string>,
    readonly blobs: readonly Blob[],
    private readonly store: BlobStore,
  ) {}

  /**
   * The whole body in memory. Only the emulator's own request paths read it (the edge streams
   * every GetObject and CopyObject itself), so it exists for completeness, not for big objects.
   */
  get body(): Buffer {
    return Buffer.concat(this.blobs.map((blob) => this.store.readWhole(blob)));
  }
}

interface StoredPart {
  partNumber: number;
  blob: Blob;
  etag: string;
  lastModified: Date;
  /** The emulator's view of a part; see {@link StoredObject.body}. */
  readonly body: Buffer;
}

interface Upload {
  uploadId: string;
  bucket: string;
  key: string;
  contentType: string;
  metadata: Record<string, string>;
  parts: Map<number, StoredPart>;
  initiated: Date;
}

interface Bucket {
  name: string;
  created: Date;
  objects: Map<string, StoredObject>;
  /** Keys in S3's order (UTF-8 bytes), for listing without sorting every time. */
  sortedKeys: string[];
  uploads: Set<string>;
}

/** S3 orders keys by their UTF-8 bytes (not by UTF-16 code units, nor by locale). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Index of the first key ≥ `key` (or > `key` with `after`) in sorted `keys`. */
function lowerBound(keys: readonly string[], key: string, after = false): number {
  let low = 0;
  let high = keys.length;
  const target = Buffer.from(key, 'utf8');
  while (low < high) {
    const middle = (low + high) >>> 1;
    const order = Buffer.compare(Buffer.from(keys[middle]!, 'utf8'), target);
    if (order < 0 || (after && order === 0)) low = middle + 1;
    else high = middle;
  }
  return low;
}

function quoted(md5: string): string {
  return `"${md5}"`;
}

/** The multipart ETag: MD5 of the parts' binary MD5s, then `-<part count>`. */
export function multipartEtag(partMd5s: readonly string[]): string {
  const digest = createHash('md5')
    .update(Buffer.concat(partMd5s.map((md5) => Buffer.from(md5, 'hex'))))
    .digest('hex');
  return `"${digest}-${partMd5s.length}"`;
}

/**
 * The embedded S3's catalogue: buckets, objects and multipart uploads, with bodies in a
 * {@link BlobStore}. It answers the S3 emulator's (fauxqs 1.9.2) calls — bucket operations,
 * HeadObject, ListObjects, DeleteObject(s), CreateMultipartUpload, CompleteMultipartUpload,
 * AbortMultipartUpload — through the store contract fauxqs's `buildApp({ stores })` accepts, and the
 * edge's streaming handlers (GetObject, PutObject, CopyObject, UploadPart) call it directly.
 * Replacing an object, deleting it, aborting an upload or emptying a bucket releases its blobs.
 */
export class ObjectCatalog {
  private readonly buckets = new Map<string, Bucket>();
  private readonly uploads = new Map<string, Upload>();
  /** fauxqs's message spy hook; the edge never enables it. */
  spy: undefined;

  constructor(private readonly blobs: BlobStore) {}

  // ── buckets ──

  createBucket(name: string): void {
    if (this.buckets.has(name)) return;
    this.buckets.set(name, {
      name,
      created: new Date(),
      objects: new Map(),
      sortedKeys: [],
      uploads: new Set(),
    });
  }

  hasBucket(name: string): boolean {
    return this.buckets.has(name);
  }

  private bucket(name: string): Bucket {
    const bucket = this.buckets.get(name);
    if (!bucket) throw noSuchBucket(name);
    return bucket;
  }

  /** Throws NoSuchBucket unless the bucket exists. */
  requireBucket(name: string): void {
    this.bucket(name);
  }

  deleteBucket(name: string): void {
    const bucket = this.bucket(name);
    if (bucket.objects.size > 0 || bucket.uploads.size > 0) {
      throw new S3StorageError(
        'BucketNotEmpty',
        'The bucket you tried to delete is not empty. You must delete all versions in the bucket.',
        409,
        `/${name}`,
      );
    }
    this.buckets.delete(name);
  }

  listBuckets(): { name: string; creationDate: Date }[] {
    return [...this.buckets.values()]
      .map((bucket) => ({ name: bucket.name, creationDate: bucket.created }))
      .sort((a, b) => compareKeys(a.name, b.name));
  }

  // ── objects ──

  /** Stores an object under `key`, taking over the caller's references to `blobs`. */
  commitObject(
    bucketName: string,
    key: string,
    blobs: readonly Blob[],
    etag: string,
    contentType: string | undefined,
    metadata: Record<string, string>,
    lastModified: Date = new Date(),
  ): StoredObject {
    let bucket: Bucket;
    try {
      bucket = this.bucket(bucketName);
    } catch (error) {
      for (const blob of blobs) this.blobs.release(blob);
      throw error;
    }
    const size = blobs.reduce((sum, blob) => sum + blob.size, 0);
    const object = new StoredObject(
      key,
      contentType ?? 'application/octet-stream',
      size,
      etag,
      lastModified,
      metadata,
      blobs,
      this.blobs,
    );
    const previous = bucket.objects.get(key);
    bucket.objects.set(key, object);
    if (previous) this.releaseObject(previous);
    else bucket.sortedKeys.splice(lowerBound(bucket.sortedKeys, key), 0, key);
    return object;
  }

  /** fauxqs's PutObject path (bodies it has buffered itself, ≤ 11 MiB). */
  putObject(
    bucket: string,
    key: string,
    body: Buffer,
    contentType?: string,
    metadata?: Record<string, string>,
  ): StoredObject {
    this.requireBucket(bucket);
    const blob = this.blobs.fromBuffer(body);
    return this.commitObject(bucket, key, [blob], quoted(blob.md5), contentType, metadata ?? {});
  }

  getObject(bucketName: string, key: string): StoredObject {
    const object = this.bucket(bucketName).objects.get(key);
    if (!object) throw noSuchKey(bucketName, key);
    return object;
  }

  headObject(bucket: string, key: string): StoredObject {
    return this.getObject(bucket, key);
  }

  deleteObject(bucketName: string, key: string): void {
    const bucket = this.bucket(bucketName);
    const object = bucket.objects.get(key);
    if (!object) return;
    bucket.objects.delete(key);
    bucket.sortedKeys.splice(lowerBound(bucket.sortedKeys, key), 1);
    this.releaseObject(object);
  }

  deleteObjects(bucket: string, keys: string[]): string[] {
    for (const key of keys) this.deleteObject(bucket, key);
    return keys;
  }

  private releaseObject(object: StoredObject): void {
    for (const blob of object.blobs) this.blobs.release(blob);
  }

  /** Keeps an object's blobs alive while it is read; release each with {@link BlobStore.release}. */
  retainBlobs(object: StoredObject): readonly Blob[] {
    return object.blobs.map((blob) => this.blobs.retain(blob));
  }

  /**
   * ListObjects(V2) as fauxqs's actions expect it: keys in S3 order after `startAfter` / `marker`,
   * under `prefix`, folded into common prefixes at `delimiter`; `maxKeys` counts both.
   */
  listObjects(
    bucketName: string,
    options: {
      prefix?: string;
      delimiter?: string;
      maxKeys?: number;
      startAfter?: string;
      marker?: string;
    } = {},
  ): { objects: StoredObject[]; commonPrefixes: string[]; isTruncated: boolean } {
    const bucket = this.bucket(bucketName);
    const prefix = options.prefix ?? '';
    const delimiter = options.delimiter || undefined;
    const maxKeys = options.maxKeys ?? 1000;
    const startAfter = options.startAfter || options.marker || '';
    const keys = bucket.sortedKeys;
    const objects: StoredObject[] = [];
    const commonPrefixes: string[] = [];
    let isTruncated = false;
    const first = Math.max(lowerBound(keys, prefix), startAfter ? lowerBound(keys, startAfter, true) : 0);
    for (let i = first; i < keys.length; i++) {
      const key = keys[i]!;
      if (!key.startsWith(prefix)) break;
      if (delimiter) {
        const at = key.indexOf(delimiter, prefix.length);
        if (at >= 0) {
          const common = key.slice(0, at + delimiter.length);
          // A marker inside a common prefix has already returned that prefix.
          if (startAfter && compareKeys(common, startAfter) <= 0) continue;
          if (commonPrefixes[commonPrefixes.length - 1] === common) continue;
          if (objects.length + commonPrefixes.length >= maxKeys) {
            isTruncated = true;
            break;
          }
          commonPrefixes.push(common);
          continue;
        }
      }
      if (objects.length + commonPrefixes.length >= maxKeys) {
        isTruncated = true;
        break;
      }
      objects.push(bucket.objects.get(key)!);
    }
    return { objects, commonPrefixes, isTruncated };
  }

  // ── multipart uploads ──

  createMultipartUpload(
    bucketName: string,
    key: string,
    contentType?: string,
    metadata?: Record<string, string>,
  ): string {
    const bucket = this.bucket(bucketName);
    const uploadId = randomUUID();
    this.uploads.set(uploadId, {
      uploadId,
      bucket: bucketName,
      key,
      contentType: contentType ?? 'application/octet-stream',
      metadata: metadata ?? {},
      parts: new Map(),
      initiated: new Date(),
    });
    bucket.uploads.add(uploadId);
    return uploadId;
  }

  /** Throws NoSuchUpload unless the upload is in progress. */
  requireUpload(uploadId: string): void {
    if (!this.uploads.has(uploadId)) throw noSuchUpload(uploadId);
  }

  /** Stores a part, taking over the caller's reference to `blob`; returns its quoted ETag. */
  commitPart(uploadId: string, partNumber: number, blob: Blob): string {
    const upload = this.uploads.get(uploadId);
    if (!upload) {
      this.blobs.release(blob);
      throw noSuchUpload(uploadId);
    }
    const store = this.blobs;
    const etag = quoted(blob.md5);
    const previous = upload.parts.get(partNumber);
    upload.parts.set(partNumber, {
      partNumber,
      blob,
      etag,
      lastModified: new Date(),
      get body() {
        return store.readWhole(blob);
      },
    });
    if (previous) this.blobs.release(previous.blob);
    return etag;
  }

  /** fauxqs's UploadPart path (bodies it has buffered itself). */
  uploadPart(uploadId: string, partNumber: number, body: Buffer): string {
    this.requireUpload(uploadId);
    return this.commitPart(uploadId, partNumber, this.blobs.fromBuffer(body));
  }

  /**
   * Completes an upload without touching the data: the object is its parts' blobs in order.
   * Checks as S3 does: ascending part numbers, every part present with its ETag, all but the last
   * at least 5 MiB.
   */
  completeMultipartUpload(uploadId: string, partSpecs: { partNumber: number; etag: string }[]): StoredObject {
    const upload = this.uploads.get(uploadId);
    if (!upload) throw noSuchUpload(uploadId);
    this.requireBucket(upload.bucket);
    if (partSpecs.length === 0) {
      throw new S3StorageError(
        'MalformedXML',
        'The XML you provided was not well-formed or did not validate against our published schema',
        400,
      );
    }
    const chosen: StoredPart[] = [];
    partSpecs.forEach((spec, i) => {
      if (i > 0 && spec.partNumber <= partSpecs[i - 1]!.partNumber) {
        throw new S3StorageError(
          'InvalidPartOrder',
          'The list of parts was not in ascending order. The parts list must be specified in order by part number.',
          400,
        );
      }
      const part = upload.parts.get(spec.partNumber);
      if (!part || part.etag.replaceAll('"', '') !== spec.etag.replaceAll('"', '')) {
        throw new S3StorageError(
          'InvalidPart',
          "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
          400,
        );
      }
      chosen.push(part);
    });
    if (chosen.slice(0, -1).some((part) => part.blob.size < MIN_PART_BYTES)) {
      throw new S3StorageError(
        'EntityTooSmall',
        'Your proposed upload is smaller than the minimum allowed size',
        400,
      );
    }
    this.forgetUpload(upload);
    // Parts uploaded but not listed are dropped, as S3 does.
    for (const part of upload.parts.values()) {
      if (!chosen.includes(part)) this.blobs.release(part.blob);
    }
    return this.commitObject(
      upload.bucket,
      upload.key,
      chosen.map((part) => part.blob),
      multipartEtag(chosen.map((part) => part.blob.md5)),
      upload.contentType,
      upload.metadata,
    );
  }

  abortMultipartUpload(uploadId: string): void {
    const upload = this.uploads.get(uploadId);
    if (!upload) throw noSuchUpload(uploadId);
    this.forgetUpload(upload);
    for (const part of upload.parts.values()) this.blobs.release(part.blob);
  }

  private forgetUpload(upload: Upload): void {
    this.uploads.delete(upload.uploadId);
    this.buckets.get(upload.bucket)?.uploads.delete(upload.uploadId);
  }

  // ── persistence (`--persist`) ──

  /**
   * Every bucket and object, with the files holding their bodies (bodies kept in memory are
   * written to files now). Uploads in progress are not kept: a restart ends them, as a client's
   * own restart would.
   */
  snapshot(): PersistedBucket[] {
    const files = new Map<Blob, string>();
    const fileOf = (blob: Blob) => {
      let file = files.get(blob);
      if (file === undefined) {
        file = this.blobs.persist(blob);
        files.set(blob, file);
      }
      return file;
    };
    return [...this.buckets.values()].map((bucket) => ({
      name: bucket.name,
      created: bucket.created.toISOString(),
      objects: bucket.sortedKeys.map((key) => {
        const object = bucket.objects.get(key)!;
        return {
          key,
          contentType: object.contentType,
          etag: object.etag,
          lastModified: object.lastModified.toISOString(),
          metadata: object.metadata,
          blobs: object.blobs.map((blob) => ({ file: fileOf(blob), size: blob.size, md5: blob.md5 })),
        };
      }),
    }));
  }

  /**
   * Restores a snapshot into an empty catalogue. An object whose body files are missing or of
   * another size (deleted by a run that was killed after the snapshot) is left out and reported.
   */
  restore(buckets: readonly PersistedBucket[]): {
    objects: number;
    dropped: { bucket: string; key: string }[];
  } {
    // Each file is adopted once (the restore holds that first reference); every object that uses
    // it takes its own, and the restore's are released at the end, so a file that no restored
    // object uses is removed then.
    const adopted = new Map<string, Blob | undefined>();
    for (const persisted of buckets) {
      for (const object of persisted.objects) {
        for (const spec of object.blobs) {
          if (!adopted.has(spec.file))
            adopted.set(spec.file, this.blobs.adopt(spec.file, spec.size, spec.md5));
        }
      }
    }
    const dropped: { bucket: string; key: string }[] = [];
    let objects = 0;
    for (const persisted of buckets) {
      this.createBucket(persisted.name);
      const created = new Date(persisted.created);
      if (!Number.isNaN(created.getTime())) this.buckets.get(persisted.name)!.created = created;
      for (const object of persisted.objects) {
        const blobs = object.blobs.map((spec) => adopted.get(spec.file));
        if (blobs.some((blob, i) => blob === undefined || blob.size !== object.blobs[i]!.size)) {
          dropped.push({ bucket: persisted.name, key: object.key });
          continue;
        }
        const lastModified = new Date(object.lastModified);
        this.commitObject(
          persisted.name,
          object.key,
          blobs.map((blob) => this.blobs.retain(blob!)),
          object.etag,
          object.contentType,
          { ...object.metadata },
          Number.isNaN(lastModified.getTime()) ? new Date() : lastModified,
        );
        objects += 1;
      }
    }
    for (const blob of adopted.values()) if (blob) this.blobs.release(blob);
    return { objects, dropped };
  }

  // ── whole-store operations (fauxqs's reset helpers) ──

  /** Removes every object and upload of a bucket, keeping the bucket. */
  emptyBucket(name: string): void {
    const bucket = this.buckets.get(name);
    if (!bucket) return;
    for (const object of bucket.objects.values()) this.releaseObject(object);
    bucket.objects.clear();
    bucket.sortedKeys = [];
    for (const uploadId of [...bucket.uploads]) this.abortMultipartUpload(uploadId);
  }

  clearObjects(): void {
    for (const name of this.buckets.keys()) this.emptyBucket(name);
  }

  purgeAll(): void {
    this.clearObjects();
    this.buckets.clear();
  }

  /** Objects and uploads held now. */
  counts(): { buckets: number; objects: number; uploads: number } {
    let objects = 0;
    for (const bucket of this.buckets.values()) objects += bucket.objects.size;
    return { buckets: this.buckets.size, objects, uploads: this.uploads.size };
  }
}
