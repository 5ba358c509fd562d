import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, readFileSync, statSync, writeFileSync } from 'node:fs';
import { chmod, type FileHandle, mkdir, open, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Logger } from '../../logging/logger.ts';

/** Bytes gathered before one `writev` to a body file: fewer, larger writes. */
const WRITE_BATCH_BYTES = 1024 * 1024;
/** Read size of body files (the default 64 KiB means 16 reads per MiB). */
const READ_CHUNK_BYTES = 1024 * 1024;
/** Marks a directory as this store's, so that a clean start never wipes someone else's files. */
const MARKER = '.egress-s3-storage';
const BLOBS = 'blobs';
/** Object bodies are users' data: readable by this user only. */
const PRIVATE_FILE = 0o600;
const PRIVATE_DIRECTORY = 0o700;

/**
 * One immutable body — a whole object's, or one multipart part's — in memory or in a file.
 * Objects and parts reference blobs (a copy references its source's); a blob is freed when the
 * last reference, including a reader's, is released.
 */
export class Blob {
  /** @internal references held (objects, parts, readers); see {@link BlobStore.release}. */
  refs = 1;
  constructor(
    readonly size: number,
    /** MD5 of the bytes, hex (an S3 ETag, or a part's, without quotes). */
    readonly md5: string,
    /** The bytes, for small bodies kept in memory. */
    readonly bytes: Buffer | undefined,
    /** The file holding the bytes, for the others. */
    readonly file: string | undefined,
  ) {}
}

/** Options of {@link BlobStore.open}. */
export interface BlobStoreOptions {
  /**
   * Directory of the body files, created if missing. It must be empty, or a directory this store
   * used before (leftovers of a run that was killed are removed).
   */
  directory: string;
  /** Bodies up to this many bytes stay in memory. @defaultValue 256 KiB */
  inlineMaxBytes?: number;
  /**
   * In-memory bodies never add up to more than this; past it, small bodies go to files too, so
   * memory stays bounded however many small objects are stored. @defaultValue 64 MiB
   */
  inlineTotalMaxBytes?: number;
  /**
   * Body files to keep (names within the store's `blobs` folder): those a persisted catalogue
   * refers to. Without it every leftover file is removed at open, as nothing can refer to it.
   */
  retainFiles?: ReadonlySet<string> | undefined;
  logger: Logger;
}

/** What the store holds now. */
export interface BlobStoreStats {
  /** Bytes of bodies held in memory (at most `inlineTotalMaxBytes`). */
  memoryBytes: number;
  memoryBlobs: number;
  /** Bytes and count of body files on disk (including those still being written). */
  fileBytes: number;
  files: number;
}

/** A problem with the storage directory itself, named in the message. */
export class BlobStoreDirectoryError extends Error {
  override readonly name = 'BlobStoreDirectoryError';
  constructor(
    readonly directory: string,
    message: string,
  ) {
    super(`S3 storage directory ${directory}: ${message}`);
  }
}

function validateSize(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/**
 * Keeps S3 bodies: small ones in memory, the rest as files under one directory, streamed in and
 * out and never held whole in memory. Files are written once (a fresh name each), never modified,
 * and unlinked when their blob is released by its last holder.
 */
export class BlobStore {
  readonly directory: string;
  private readonly blobsDirectory: string;
  private readonly inlineMaxBytes: number;
  private readonly inlineTotalMaxBytes: number;
  private readonly logger: Logger;
  private memoryBytes = 0;
  private memoryBlobs = 0;
  private fileBytes = 0;
  private files = 0;
  private readonly unlinking = new Set<Promise<void>>();

  private constructor(options: BlobStoreOptions) {
    this.directory = path.resolve(options.directory);
    this.blobsDirectory = path.join(this.directory, BLOBS);
    this.inlineMaxBytes = validateSize(
      'inlineMaxBytes',
      options.inlineMaxBytes ?? 256 * 1024,
      0,
      64 * 1024 * 1024,
    );
    this.inlineTotalMaxBytes = validateSize(
      'inlineTotalMaxBytes',
      options.inlineTotalMaxBytes ?? 64 * 1024 * 1024,
      0,
      4 * 1024 * 1024 * 1024,
    );
    this.logger = options.logger;
  }

  /** Prepares the directory (see {@link BlobStoreOptions.directory}) and returns the store. */
  static async open(options: BlobStoreOptions): Promise<BlobStore> {
    const store = new BlobStore(options);
    // Bodies are the users' data (decrypted deliveries among them): only this user may read them,
    // also in a directory that existed before with wider modes.
    await mkdir(store.directory, { recursive: true, mode: PRIVATE_DIRECTORY });
    await chmod(store.directory, PRIVATE_DIRECTORY);
    const entries = await readdir(store.directory);
    if (entries.length > 0 && !entries.includes(MARKER)) {
      throw new BlobStoreDirectoryError(
        store.directory,
        `is not empty and was not created by the embedded S3 (no ${MARKER} file); refusing to use it`,
      );
    }
    await writeFile(path.join(store.directory, MARKER), 'S3 object bodies of the egress sandbox edge\n', {
      mode: PRIVATE_FILE,
    });
    if (options.retainFiles === undefined) {
      // Nothing references files left by a run that was killed: start clean.
      await rm(store.blobsDirectory, { recursive: true, force: true });
      await mkdir(store.blobsDirectory, { mode: PRIVATE_DIRECTORY });
      return store;
    }
    // A persisted catalogue refers to some files; the others (bodies written after its snapshot by a
    // run that was killed, parts of unfinished uploads) are referred to by nothing.
    await mkdir(store.blobsDirectory, { recursive: true, mode: PRIVATE_DIRECTORY });
    await chmod(store.blobsDirectory, PRIVATE_DIRECTORY);
    for (const name of await readdir(store.blobsDirectory)) {
      if (!options.retainFiles.has(name)) await rm(path.join(store.blobsDirectory, name), { force: true });
    }
    return store;
  }

  /**
   * A blob for a body file that a persisted catalogue refers to (one reference, for its first
   * holder). Undefined when the file is missing or not the size recorded: its object cannot be
   * restored.
   */
  adopt(name: string, size: number, md5: string): Blob | undefined {
    if (name !== path.basename(name) || name.startsWith('.')) return undefined;
    const file = path.join(this.blobsDirectory, name);
    const info = (() => {
      try {
        return statSync(file);
      } catch {
        return undefined;
      }
    })();
    if (!info?.isFile() || info.size !== size) return undefined;
    this.files += 1;
    this.fileBytes += size;
    return new Blob(size, md5, undefined, file);
  }

  /**
   * The name of a file holding the blob's bytes, for a snapshot of the catalogue: a file blob's own
   * file, or — for a body kept in memory — a new file written now.
   */
  persist(blob: Blob): string {
    if (blob.file !== undefined) return path.basename(blob.file);
    const file = this.newFile();
    writeFileSync(file, blob.bytes!, { flag: 'wx', mode: PRIVATE_FILE });
    return path.basename(file);
  }

  stats(): BlobStoreStats {
    return {
      memoryBytes: this.memoryBytes,
      memoryBlobs: this.memoryBlobs,
      fileBytes: this.fileBytes,
      files: this.files,
    };
  }

  private fitsInMemory(size: number): boolean {
    return size <= this.inlineMaxBytes && this.memoryBytes + size <= this.inlineTotalMaxBytes;
  }

  private newFile(): string {
    return path.join(this.blobsDirectory, randomUUID());
  }

  private inMemory(bytes: Buffer, md5: string): Blob {
    this.memoryBytes += bytes.length;
    this.memoryBlobs += 1;
    return new Blob(bytes.length, md5, bytes, undefined);
  }

  /**
   * Stores a body from a stream: in memory while it is small, spilling to a new file once it is
   * not. The caller owns the returned blob (one reference) and must hand it to an object or part,
   * or {@link release} it. If the source fails (a client hanging up), the partial file is removed
   * and the error rethrown.
   */
  async write(source: AsyncIterable<Buffer>): Promise<Blob> {
    const hash = createHash('md5');
    let size = 0;
    let batch: Buffer[] = [];
    let batchBytes = 0;
    let written = 0;
    let file: string | undefined;
    let handle: FileHandle | undefined;
    try {
      for await (const chunk of source) {
        hash.update(chunk);
        size += chunk.length;
        batch.push(chunk);
        batchBytes += chunk.length;
        if (handle === undefined && !this.fitsInMemory(size)) {
          file = this.newFile();
          handle = await open(file, 'wx', PRIVATE_FILE);
          this.files += 1;
        }
        if (handle !== undefined && batchBytes >= WRITE_BATCH_BYTES) {
          await writeAll(handle, batch);
          written += batchBytes;
          this.fileBytes += batchBytes;
          batch = [];
          batchBytes = 0;
        }
      }
      const md5 = hash.digest('hex');
      if (handle === undefined) return this.inMemory(Buffer.concat(batch, size), md5);
      await writeAll(handle, batch);
      this.fileBytes += batchBytes;
      await handle.close();
      handle = undefined;
      return new Blob(size, md5, undefined, file);
    } catch (error) {
      await handle?.close().catch(() => {});
      if (file !== undefined) {
        this.fileBytes -= written;
        this.files -= 1;
        await rm(file, { force: true });
      }
      throw error;
    }
  }

  /**
   * Stores a body already in memory, synchronously (the emulator's own request paths, which hold
   * bodies of at most 11 MiB). The caller owns the returned blob.
   */
  fromBuffer(bytes: Buffer): Blob {
    const md5 = createHash('md5').update(bytes).digest('hex');
    if (this.fitsInMemory(bytes.length)) return this.inMemory(Buffer.from(bytes), md5);
    const file = this.newFile();
    writeFileSync(file, bytes, { flag: 'wx', mode: PRIVATE_FILE });
    this.files += 1;
    this.fileBytes += bytes.length;
    return new Blob(bytes.length, md5, undefined, file);
  }

  /** Adds a reference (a copy of an object, or a reader). */
  retain(blob: Blob): Blob {
    if (blob.refs <= 0) throw new Error('internal: retaining a released blob');
    blob.refs += 1;
    return blob;
  }

  /** Drops a reference; the last one frees the memory or unlinks the file. */
  release(blob: Blob): void {
    blob.refs -= 1;
    if (blob.refs > 0) return;
    if (blob.refs < 0) throw new Error('internal: blob released more often than retained');
    if (blob.bytes !== undefined) {
      this.memoryBytes -= blob.size;
      this.memoryBlobs -= 1;
      return;
    }
    this.files -= 1;
    this.fileBytes -= blob.size;
    const file = blob.file!;
    const removal = unlink(file)
      .catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT')
          this.logger.warn({ err: error, file }, 'could not remove an S3 body file');
      })
      .finally(() => this.unlinking.delete(removal));
    this.unlinking.add(removal);
  }

  /**
   * Bytes `start..end` (inclusive) of a blob, streamed. The caller must hold a reference until the
   * stream has ended or been destroyed.
   */
  read(blob: Blob, start = 0, end = blob.size - 1): Readable {
    if (blob.bytes !== undefined) return Readable.from([blob.bytes.subarray(start, end + 1)]);
    return createReadStream(blob.file!, { start, end, highWaterMark: READ_CHUNK_BYTES });
  }

  /** The whole body, synchronously: only for the emulator's own (small-body) request paths. */
  readWhole(blob: Blob): Buffer {
    return blob.bytes ?? readFileSync(blob.file!);
  }

  /** Waits for file removals under way. */
  async settle(): Promise<void> {
    while (this.unlinking.size > 0) await Promise.all([...this.unlinking]);
  }

  /** Leaves the files where they are (persisted bodies), once pending removals are done. */
  async close(): Promise<void> {
    await this.settle();
  }

  /** Removes the directory and everything in it. */
  async destroy(): Promise<void> {
    await this.settle();
    await rm(this.directory, { recursive: true, force: true });
  }
}

async function writeAll(handle: FileHandle, buffers: Buffer[]): Promise<void> {
  // Many tiny chunks would exceed the system's iovec limit: join them first.
  let pending = buffers.length > 256 ? [Buffer.concat(buffers)] : buffers;
  while (pending.length > 0) {
    const total = pending.reduce((sum, b) => sum + b.length, 0);
    const { bytesWritten } = await handle.writev(pending);
    if (bytesWritten >= total) return;
    // A short write: carry on from where it stopped.
    let skip = bytesWritten;
    const rest: Buffer[] = [];
    for (const buffer of pending) {
      if (skip >= buffer.length) {
        skip -= buffer.length;
        continue;
      }
      rest.push(skip > 0 ? buffer.subarray(skip) : buffer);
      skip = 0;
    }
    pending = rest;
  }
}
