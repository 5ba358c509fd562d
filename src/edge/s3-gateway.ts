import type { IncomingMessage, ServerResponse } from 'node:http';
import { XMLParser } from 'fast-xml-parser';
import type { Logger } from '../logging/logger.ts';
import { s3ErrorBody } from './aws-error.ts';
import { BodyTooLargeError, declaredBodySize, readBody, relay, send } from './http-util.ts';
import {
  InvalidNotificationConfigurationError,
  parseNotificationConfiguration,
  renderNotificationConfiguration,
} from './notifications/configuration.ts';
import { accessKeyFromAuthorization } from './notifications/event.ts';
import type { BucketNotifier } from './notifications/notifier.ts';
import {
  classifyS3Mutation,
  hasDotSegment,
  InvalidS3RequestError,
  parseS3Request,
  type S3RequestInfo,
} from './s3-request.ts';

/** The S3 emulator as the gateway sees it: an in-process request handler plus `inject`. */
export interface S3Upstream {
  route(req: IncomingMessage, res: ServerResponse): void;
  inject(request: {
    method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
    url: string;
    headers?: Record<string, string>;
    payload?: Buffer | string;
  }): Promise<{ statusCode: number; headers: Record<string, unknown>; rawPayload: Buffer }>;
}

/** One S3 request that changed data, recorded for observers (tests, dashboard). */
export interface S3WriteRecord {
  method: string;
  bucket: string;
  key?: string | undefined;
  status: number;
  accessKeyId?: string | undefined;
  /** The canned ACL (`x-amz-acl`) the write asked for; for a multipart upload, its CreateMultipartUpload's. */
  acl?: string | undefined;
  at: Date;
}

/**
 * The embedded S3 emulator refuses request bodies over 11 MiB (fauxqs's fixed limit). The edge
 * answers such uploads itself with S3's own `EntityTooLarge` error and a hint, instead of a
 * confusing framework error.
 */
export const MAX_S3_BODY_BYTES = 11 * 1024 * 1024;
const MAX_CONTROL_BODY_BYTES = 2 * 1024 * 1024;

const XML = 'application/xml';
const deleteResultParser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  isArray: (name) => name === 'Deleted',
});
const listResultParser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  isArray: (name) => name === 'Contents',
});

export function encodeKeyPath(bucket: string, key?: string): string {
  const encodedKey = key === undefined ? '' : `/${key.split('/').map(encodeURIComponent).join('/')}`;
  return `/${encodeURIComponent(bucket)}${encodedKey}`;
}

/**
 * Sits in front of the S3 emulator: adds bucket notifications (configuration API and event
 * publication after successful writes) and passes everything else through untouched, streaming.
 */
export class S3Gateway {
  private readonly writeListeners = new Set<(record: S3WriteRecord) => void>();
  /** `x-amz-acl` of multipart uploads in progress, by `bucket/key`, for the write record of their completion. */
  private readonly multipartAcls = new Map<string, string>();

  constructor(
    private readonly upstream: S3Upstream,
    private readonly notifier: BucketNotifier,
    private readonly logger: Logger,
  ) {}

  onWrite(listener: (record: S3WriteRecord) => void): () => void {
    this.writeListeners.add(listener);
    return () => this.writeListeners.delete(listener);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let info: S3RequestInfo | undefined;
    try {
      info = parseS3Request(req.url ?? '/');
    } catch (error) {
      if (!(error instanceof InvalidS3RequestError)) throw error;
      req.resume();
      this.logger.info({ request: `${req.method} ${req.url}`, reason: error.message }, 'S3 request refused');
      send(res, 400, XML, s3ErrorBody(error.code, error.message, error.target));
      return;
    }
    const method = req.method ?? 'GET';
    if (!info) {
      this.upstream.route(req, res);
      return;
    }
    if (method === 'PUT' || method === 'POST') {
      const size = declaredBodySize(req);
      if (size !== undefined && size > MAX_S3_BODY_BYTES) {
        req.resume();
        send(
          res,
          400,
          XML,
          s3ErrorBody(
            'EntityTooLarge',
            `Your proposed upload of ${size} bytes exceeds the embedded S3's single-request limit of ${MAX_S3_BODY_BYTES} bytes (11 MiB); use a multipart upload (e.g. @aws-sdk/lib-storage Upload) with parts of at most 8 MiB`,
            encodeKeyPath(info.bucket, info.key),
          ),
          { connection: 'close' },
        );
        return;
      }
    }
    const mutation = classifyS3Mutation(method, info, req.headers);
    const accessKeyId = accessKeyFromAuthorization(req.headers.authorization);
    const acl = this.aclOf(method, info, req);
    switch (mutation.kind) {
      case 'notification-config':
        await this.notificationConfiguration(method, info, req, res);
        return;
      case 'batch-delete':
        await this.batchDelete(info, req, res, accessKeyId);
        return;
      case 'created':
      case 'removed':
        res.once('finish', () => {
          this.recordWrite(method, info, res.statusCode, accessKeyId, acl);
          if (res.statusCode >= 200 && res.statusCode < 300 && info.key !== undefined) {
            this.publish(info.bucket, info.key, mutation.eventName, mutation.kind, accessKeyId, req).catch(
              (error: unknown) =>
                this.logger.warn(
                  { bucket: info.bucket, key: info.key, event: mutation.eventName, err: error },
                  'S3 event could not be prepared',
                ),
            );
          }
        });
        this.upstream.route(req, res);
        return;
      default:
        if (method === 'DELETE' && info.key === undefined && [...info.query.keys()].length === 0) {
          res.once('finish', () => {
            if (res.statusCode === 204) this.notifier.forget(info.bucket);
          });
        }
        this.upstream.route(req, res);
    }
  }

  /**
   * The canned ACL a write asks for: its own `x-amz-acl`, or for a multipart completion the one its
   * CreateMultipartUpload carried (remembered by bucket and key: enough to observe the ACL).
   */
  private aclOf(method: string, info: S3RequestInfo, req: IncomingMessage): string | undefined {
    const header = req.headers['x-amz-acl'];
    const acl = typeof header === 'string' ? header : undefined;
    if (info.key === undefined) return acl;
    const object = `${info.bucket}/${info.key}`;
    if (method === 'DELETE' && info.query.has('uploadId')) this.multipartAcls.delete(object); // aborted
    if (method !== 'POST') return acl;
    if (info.query.has('uploads')) {
      if (acl === undefined) this.multipartAcls.delete(object);
      else this.multipartAcls.set(object, acl);
    } else if (info.query.has('uploadId')) {
      const remembered = this.multipartAcls.get(object);
      this.multipartAcls.delete(object);
      return acl ?? remembered;
    }
    return acl;
  }

  private recordWrite(
    method: string,
    info: S3RequestInfo,
    status: number,
    accessKeyId?: string,
    acl?: string,
  ): void {
    const record: S3WriteRecord = {
      method,
      bucket: info.bucket,
      key: info.key,
      status,
      accessKeyId,
      ...(acl === undefined ? {} : { acl }),
      at: new Date(),
    };
    for (const listener of this.writeListeners) listener(record);
  }

  private async publish(
    bucket: string,
    key: string,
    eventName: string,
    kind: 'created' | 'removed',
    principal: string | undefined,
    req: IncomingMessage,
  ): Promise<void> {
    if (!this.notifier.wants(bucket)) return;
    let size: number | undefined;
    let eTag: string | undefined;
    if (kind === 'created') {
      const summary = await this.objectSummary(bucket, key);
      if (summary) {
        ({ size, eTag } = summary);
      } else {
        this.logger.debug({ bucket, key }, 'object vanished before its event was sent');
        size = 0;
      }
    }
    await this.notifier.notify({
      bucket,
      key,
      eventName,
      size,
      eTag,
      principal,
      sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, ''),
    });
  }

  /**
   * Size and ETag of an object, as the emulator holds it. In-process requests go through a URL
   * parser that resolves `.`/`..` segments (even encoded as `%2E`), so a key with such a segment is
   * looked up by listing with the key as prefix — the query string is never normalised.
   */
  private async objectSummary(
    bucket: string,
    key: string,
  ): Promise<{ size: number; eTag: string } | undefined> {
    if (!hasDotSegment(key)) {
      const head = await this.upstream.inject({ method: 'HEAD', url: encodeKeyPath(bucket, key) });
      if (head.statusCode !== 200) return undefined;
      return {
        size: Number(head.headers['content-length']),
        eTag: String(head.headers.etag ?? '').replaceAll('"', ''),
      };
    }
    const list = await this.upstream.inject({
      method: 'GET',
      url: `${encodeKeyPath(bucket)}?list-type=2&max-keys=1000&prefix=${encodeURIComponent(key)}`,
    });
    if (list.statusCode !== 200) return undefined;
    const parsed = listResultParser.parse(list.rawPayload.toString('utf8')) as {
      ListBucketResult?: { Contents?: { Key?: string; Size?: string; ETag?: string }[] };
    };
    const object = parsed.ListBucketResult?.Contents?.find((entry) => String(entry.Key) === key);
    if (!object) return undefined;
    return { size: Number(object.Size), eTag: String(object.ETag ?? '').replaceAll('"', '') };
  }

  private async bucketExists(bucket: string): Promise<boolean> {
    const head = await this.upstream.inject({ method: 'HEAD', url: encodeKeyPath(bucket) });
    return head.statusCode === 200;
  }

  private async notificationConfiguration(
    method: string,
    info: S3RequestInfo,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const resource = encodeKeyPath(info.bucket);
    if (method !== 'PUT' && method !== 'GET') {
      req.resume();
      send(
        res,
        405,
        XML,
        s3ErrorBody('MethodNotAllowed', `${method} is not allowed on ?notification`, resource),
      );
      return;
    }
    let body: Buffer;
    try {
      body = await readBody(req, MAX_CONTROL_BODY_BYTES);
    } catch (error) {
      const tooLarge = error instanceof BodyTooLargeError;
      send(
        res,
        400,
        XML,
        s3ErrorBody(tooLarge ? 'MaxMessageLengthExceeded' : 'IncompleteBody', String(error), resource),
      );
      return;
    }
    if (!(await this.bucketExists(info.bucket))) {
      send(res, 404, XML, s3ErrorBody('NoSuchBucket', 'The specified bucket does not exist', resource));
      return;
    }
    if (method === 'GET') {
      send(res, 200, XML, renderNotificationConfiguration(this.notifier.get(info.bucket)));
      return;
    }
    try {
      const configuration = parseNotificationConfiguration(body.toString('utf8'));
      await this.notifier.set(info.bucket, configuration);
      this.logger.info(
        { bucket: info.bucket, queues: configuration.queueConfigurations.map((q) => q.queueArn) },
        'bucket notification configuration stored',
      );
      send(res, 200, XML, '');
    } catch (error) {
      if (error instanceof InvalidNotificationConfigurationError) {
        const status = error.code === 'NotImplemented' ? 501 : 400;
        send(res, status, XML, s3ErrorBody(error.code, error.message, resource));
        return;
      }
      throw error;
    }
  }

  /** DeleteObjects: the keys actually deleted come from the emulator's own answer. */
  private async batchDelete(
    info: S3RequestInfo,
    req: IncomingMessage,
    res: ServerResponse,
    accessKeyId?: string,
  ): Promise<void> {
    let body: Buffer;
    try {
      body = await readBody(req, MAX_CONTROL_BODY_BYTES);
    } catch (error) {
      send(res, 400, XML, s3ErrorBody('MaxMessageLengthExceeded', String(error), encodeKeyPath(info.bucket)));
      return;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && name !== 'content-length' && name !== 'transfer-encoding') {
        headers[name] = value;
      }
    }
    const result = await this.upstream.inject({
      method: 'POST',
      url: req.url ?? '/',
      headers,
      payload: body,
    });
    relay(res, result);
    this.recordWrite('POST', info, result.statusCode, accessKeyId);
    if (result.statusCode !== 200 || !this.notifier.wants(info.bucket)) return;
    const parsed = deleteResultParser.parse(result.rawPayload.toString('utf8')) as {
      DeleteResult?: { Deleted?: { Key?: string }[] };
    };
    for (const deleted of parsed.DeleteResult?.Deleted ?? []) {
      if (deleted.Key === undefined) continue;
      void this.notifier.notify({
        bucket: info.bucket,
        key: String(deleted.Key),
        eventName: 'ObjectRemoved:Delete',
        principal: accessKeyId,
      });
    }
  }
}
