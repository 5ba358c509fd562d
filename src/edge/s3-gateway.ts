import type { IncomingMessage, ServerResponse } from 'node:http';
import { XMLParser } from 'fast-xml-parser';
import { DEFAULT_REGION } from '../aws/target.ts';
import type { Logger } from '../logging/logger.ts';
import { AwsServiceError, s3ErrorBody } from './aws-error.ts';
import { markS3Request } from './emulator-errors.ts';
import { BodyTooLargeError, declaredBodySize, forwardedHeaders, readBody, relay, send } from './http-util.ts';
import {
  InvalidNotificationConfigurationError,
  parseNotificationConfiguration,
  renderNotificationConfiguration,
} from './notifications/configuration.ts';
import { accessKeyFromAuthorization } from './notifications/event.ts';
import type { BucketNotifier } from './notifications/notifier.ts';
import { pathStyleUrl, virtualHostBucket } from './s3-addressing.ts';
import {
  invalidBucketName,
  locationConstraintError,
  parseCreateBucketConfiguration,
  renderBucketLocation,
} from './s3-bucket-rules.ts';
import {
  classifyS3Mutation,
  hasDotSegment,
  InvalidS3RequestError,
  parseS3Request,
  type S3RequestInfo,
} from './s3-request.ts';
import { unsupportedSubresource } from './s3-subresources.ts';
import { credentialScope } from './sigv4.ts';

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

/** Options for {@link S3Gateway}. */
export interface S3GatewayOptions {
  /**
   * Region of the endpoint when a request's signature names none; a signed request's own
   * region (its SigV4 credential scope) is the endpoint region it addressed, as on LocalStack.
   * @defaultValue `eu-west-2`
   */
  region?: string;
}

/**
 * Sits in front of the S3 emulator: accepts every request shape S3 clients send (virtual-hosted
 * addressing, empty, chunked and aws-chunked bodies, checksums), enforces what S3 enforces and
 * the emulator does not (bucket names, location constraints, sub-resources it lacks), adds
 * bucket notifications and GetBucketLocation, and passes everything else through, streaming.
 */
export class S3Gateway {
  private readonly writeListeners = new Set<(record: S3WriteRecord) => void>();
  /** Location constraint of each bucket created through the edge ('' for us-east-1). */
  private readonly bucketLocations = new Map<string, string>();
  /** `x-amz-acl` of multipart uploads in progress, by `bucket/key`, for the write record of their completion. */
  private readonly multipartAcls = new Map<string, string>();
  private readonly region: string;

  constructor(
    private readonly upstream: S3Upstream,
    private readonly notifier: BucketNotifier,
    private readonly logger: Logger,
    options: S3GatewayOptions = {},
  ) {
    this.region = options.region ?? DEFAULT_REGION;
  }

  onWrite(listener: (record: S3WriteRecord) => void): () => void {
    this.writeListeners.add(listener);
    return () => this.writeListeners.delete(listener);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    markS3Request(req);
    let info: S3RequestInfo | undefined;
    try {
      this.usePathStyle(req);
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
    const resource = encodeKeyPath(info.bucket, info.key);
    const unsupported = unsupportedSubresource(info);
    if (unsupported) {
      this.refuse(
        req,
        res,
        new AwsServiceError(
          'NotImplemented',
          `The embedded S3 does not implement the ?${unsupported} sub-resource (${method} ${resource}?${unsupported})`,
          501,
        ),
        resource,
      );
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
            resource,
          ),
          { connection: 'close' },
        );
        return;
      }
    }
    const mutation = classifyS3Mutation(method, info, req.headers);
    const accessKeyId = accessKeyFromAuthorization(req.headers.authorization);
    const acl = this.aclOf(method, info, req);
    if (mutation.kind === 'notification-config') {
      await this.notificationConfiguration(method, info, req, res);
      return;
    }
    if (info.key === undefined && method === 'PUT') {
      await this.createBucket(info, req, res);
      return;
    }
    if (info.key === undefined && method === 'GET' && info.query.has('location')) {
      await this.bucketLocation(info, req, res);
      return;
    }
    if (method === 'POST' && info.key !== undefined && info.query.has('uploadId')) {
      // CompleteMultipartUpload's body is XML whatever the client labelled it; the emulator would
      // parse a form label into an empty part list and complete an empty object.
      req.headers['content-type'] = 'application/xml';
    }
    switch (mutation.kind) {
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
            if (res.statusCode === 204) {
              this.notifier.forget(info.bucket);
              this.bucketLocations.delete(info.bucket);
            }
          });
        }
        this.upstream.route(req, res);
    }
  }

  /**
   * Rewrites a virtual-hosted-style request to path-style, and gives the emulator a Host without
   * dots: it would otherwise take the first label of any dotted host (`host.docker.internal`,
   * `s3.localhost.localstack.cloud`) for a bucket name.
   */
  private usePathStyle(req: IncomingMessage): void {
    const host = req.headers.host;
    const bucket = virtualHostBucket(host);
    // A target that is not a path stays as it is, for parseS3Request to refuse.
    if (bucket && (req.url ?? '/').startsWith('/')) req.url = pathStyleUrl(bucket, req.url ?? '/');
    const port = host?.match(/:(\d+)$/)?.[1];
    req.headers.host = port ? `localhost:${port}` : 'localhost';
  }

  private refuse(req: IncomingMessage, res: ServerResponse, error: AwsServiceError, resource: string): void {
    req.resume();
    send(res, error.statusCode, XML, s3ErrorBody(error.code, error.message, resource));
  }

  /** The region the request addressed: its signature's, else the edge's. */
  private endpointRegion(req: IncomingMessage, info: S3RequestInfo): string {
    return credentialScope(req.headers.authorization, info.query)?.region ?? this.region;
  }

  /**
   * CreateBucket with S3's checks: a valid name, a location constraint that suits the endpoint's
   * region, and `BucketAlreadyOwnedByYou` for a bucket that exists (outside us-east-1, where S3
   * answers 200 for the owner's own bucket).
   */
  private async createBucket(info: S3RequestInfo, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const resource = encodeKeyPath(info.bucket);
    let body: Buffer;
    try {
      body = await readBody(req, MAX_CONTROL_BODY_BYTES);
    } catch (error) {
      send(res, 400, XML, s3ErrorBody('MaxMessageLengthExceeded', String(error), resource));
      return;
    }
    const region = this.endpointRegion(req, info);
    let constraint: string | undefined;
    try {
      const nameError = invalidBucketName(info.bucket);
      if (nameError) throw nameError;
      constraint = parseCreateBucketConfiguration(body.toString('utf8')).locationConstraint;
      const constraintError = locationConstraintError(constraint, region);
      if (constraintError) throw constraintError;
    } catch (error) {
      if (!(error instanceof AwsServiceError)) throw error;
      send(res, error.statusCode, XML, s3ErrorBody(error.code, error.message, resource));
      return;
    }
    if (await this.bucketExists(info.bucket)) {
      if (region === 'us-east-1') {
        send(res, 200, XML, '', { location: resource });
      } else {
        send(
          res,
          409,
          XML,
          s3ErrorBody(
            'BucketAlreadyOwnedByYou',
            'Your previous request to create the named bucket succeeded and you already own it.',
            resource,
          ),
        );
      }
      return;
    }
    const created = await this.upstream.inject({ method: 'PUT', url: resource });
    if (created.statusCode === 200) this.bucketLocations.set(info.bucket, constraint?.trim() ?? '');
    relay(res, created);
  }

  /** The region a bucket lives in: where it was created through the edge, else the edge's. */
  private bucketRegion(bucket: string): string {
    const constraint = this.bucketLocations.get(bucket);
    if (constraint === undefined) return this.region;
    if (constraint === '') return 'us-east-1';
    return constraint === 'EU' ? 'eu-west-1' : constraint;
  }

  /** GetBucketLocation, which the emulator lacks: the constraint the bucket was created with. */
  private async bucketLocation(
    info: S3RequestInfo,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    req.resume();
    const resource = encodeKeyPath(info.bucket);
    if (!(await this.bucketExists(info.bucket))) {
      send(res, 404, XML, s3ErrorBody('NoSuchBucket', 'The specified bucket does not exist', resource));
      return;
    }
    const known = this.bucketLocations.get(info.bucket);
    send(res, 200, XML, renderBucketLocation(known ?? (this.region === 'us-east-1' ? '' : this.region)));
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
      const bucketRegion = this.bucketRegion(info.bucket);
      for (const queue of configuration.queueConfigurations) {
        if (queue.queueArn.split(':')[3] !== bucketRegion) {
          throw new InvalidNotificationConfigurationError(
            `The notification destination service region is not valid for the bucket location constraint (${queue.queueArn} is not in ${bucketRegion})`,
          );
        }
      }
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
    const headers = forwardedHeaders(req);
    // The emulator parses form and JSON content types into objects; the delete list is XML.
    headers['content-type'] = 'application/xml';
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
