import type { TLSSocket } from 'node:tls';
import type { Request, Response } from 'express';
import type { Logger } from '../../src/logging/index.ts';
import type { FaultInjector } from './faults.ts';
import { metadataFromHeaders } from './metadata.ts';
import type { ReceivedFile, ReceivedLog } from './received-log.ts';
import { discardBody, meterRequestBody, PayloadTooLarge } from './request-body.ts';
import type { BucketStore } from './storage.ts';
import { checkFilename, checkTargetPath, objectKey, type Refusal } from './validation.ts';

/** What a receiver works with. */
export interface ReceiverParts {
  store: BucketStore;
  faults: FaultInjector;
  log: ReceivedLog;
  /** Larger bodies get 413 and nothing is stored. */
  maxBodyBytes: number;
  logger: Logger;
}

type Entry = Omit<ReceivedFile, 'status' | 'reason'>;

function clientSubject(req: Request): string | undefined {
  const socket = req.socket as TLSSocket;
  if (typeof socket.getPeerCertificate !== 'function') return undefined;
  const cn = socket.getPeerCertificate()?.subject?.CN;
  return Array.isArray(cn) ? cn.join(',') : cn || undefined;
}

/**
 * Receives one file per POST: injected faults first, then the filename, path and size checks,
 * then the body streamed into the bucket. Every request ends in the received-file log.
 */
export class Receiver {
  constructor(private readonly parts: ReceiverParts) {}

  async handlePost(req: Request, res: Response): Promise<void> {
    const entry = { at: new Date(), path: req.originalUrl, bytes: 0, client: clientSubject(req) };
    const fault = await this.parts.faults.beforeRequest();
    if (fault) {
      const header = req.headers.filename;
      return this.refuse(req, res, fault, {
        ...entry,
        filename: typeof header === 'string' ? header : undefined,
      });
    }
    const name = checkFilename(req.headers.filename);
    if ('status' in name) return this.refuse(req, res, name, entry);
    const target = checkTargetPath(req.originalUrl);
    if ('status' in target) return this.refuse(req, res, target, { ...entry, filename: name.filename });
    const keyed = objectKey(target.segments, name.filename);
    if ('status' in keyed) return this.refuse(req, res, keyed, { ...entry, filename: name.filename });
    const where = { ...entry, filename: name.filename, key: keyed.key };
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    if (declared > this.parts.maxBodyBytes) {
      const reason = `body of ${declared} bytes exceeds the limit of ${this.parts.maxBodyBytes} bytes`;
      return this.refuse(req, res, { status: 413, reason }, where);
    }
    await this.store(req, res, where);
  }

  /** Answers a request we will not store, after reading away the rest of its body (see {@link discardBody}). */
  private refuse(req: Request, res: Response, refusal: Refusal, entry: Entry): void {
    this.parts.log.record({ ...entry, status: refusal.status, reason: refusal.reason });
    this.parts.logger.warn(
      { path: entry.path, filename: entry.filename, status: refusal.status, reason: refusal.reason },
      'refused',
    );
    if (!req.complete) discardBody(req);
    if (res.headersSent || res.destroyed) return;
    res.status(refusal.status).json({ error: refusal.reason });
  }

  /** Streams the body to the bucket; an over-size or abandoned body fails the upload, which aborts it. */
  private async store(req: Request, res: Response, entry: Entry & { key: string }): Promise<void> {
    const { store, logger } = this.parts;
    const body = meterRequestBody(req, this.parts.maxBodyBytes);
    try {
      await store.put(entry.key, body.stream, metadataFromHeaders(req.headers));
    } catch (error) {
      body.detach();
      const bytes = body.bytes();
      const cause = body.failure() ?? (error as Error);
      if (cause instanceof PayloadTooLarge) {
        return this.refuse(req, res, { status: 413, reason: cause.message }, { ...entry, bytes });
      }
      if (!req.complete && req.destroyed) {
        this.parts.log.record({ ...entry, bytes, status: 499, reason: cause.message });
        logger.warn({ key: entry.key, err: cause.message }, 'client went away mid-body; nothing stored');
        return;
      }
      logger.error({ bucket: store.bucket, key: entry.key, err: cause.message }, 'storing failed');
      return this.refuse(
        req,
        res,
        { status: 502, reason: `storing the file failed: ${cause.message}` },
        { ...entry, bytes },
      );
    }
    const bytes = body.bytes();
    const sha256 = body.sha256();
    this.parts.log.record({ ...entry, bytes, sha256, status: 200 });
    logger.info({ bucket: store.bucket, key: entry.key, bytes, client: entry.client }, 'stored');
    res.status(200).json({ bucket: store.bucket, key: entry.key, bytes, sha256 });
  }
}
