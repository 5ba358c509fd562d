/** What the edge needs to know about a path-style S3 request. */
export interface S3RequestInfo {
  bucket: string;
  /** Decoded object key, exactly as sent; undefined for bucket-level requests. */
  key?: string | undefined;
  query: URLSearchParams;
}

/** A request target S3 could not take literally; answered 400 with S3's own error code. */
export class InvalidS3RequestError extends Error {
  override readonly name = 'InvalidS3RequestError';
  constructor(
    readonly code: 'InvalidURI' | 'InvalidBucketName',
    readonly target: string,
    reason: string,
  ) {
    super(
      `${code === 'InvalidURI' ? "Couldn't parse the specified URI" : 'The specified bucket is not valid'}: ${reason}`,
    );
  }
}

function decodeSegment(raw: string, target: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new InvalidS3RequestError('InvalidURI', target, 'malformed percent-encoding');
  }
}

/**
 * Parses a path-style S3 request target (`/bucket/key?query`) the way S3 does: literally. The raw
 * path is split at its first `/` after the bucket and percent-decoded once; nothing is normalised —
 * `a/./x`, `a/../x` and `../other/x` are keys of this bucket, as on AWS, and a key keeps every slash
 * it had, including a leading one (`/bucket//leading/slash` → `/leading/slash`), because the original
 * routing rules use such keys. (WHATWG URL parsing, used before, resolved the dot segments: a PUT of
 * `/destination/../source/x` was announced as an event for bucket `source`.)
 *
 * Refused (`InvalidS3RequestError`): a target that is not a path (absolute or asterisk form), a `#`
 * (the emulator's router would cut the key there), malformed percent-encoding, and the bucket names
 * `.` and `..`.
 */
export function parseS3Request(rawUrl: string): S3RequestInfo | undefined {
  if (!rawUrl.startsWith('/')) {
    throw new InvalidS3RequestError('InvalidURI', rawUrl, 'the request target is not a path');
  }
  const queryAt = rawUrl.indexOf('?');
  const path = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
  const query = new URLSearchParams(queryAt === -1 ? '' : rawUrl.slice(queryAt + 1));
  if (path.includes('#')) {
    throw new InvalidS3RequestError('InvalidURI', rawUrl, 'a "#" in the path (encode it as %23)');
  }
  const slash = path.indexOf('/', 1);
  const bucket = decodeSegment(slash === -1 ? path.slice(1) : path.slice(1, slash), rawUrl);
  if (!bucket) return undefined;
  if (bucket === '.' || bucket === '..') {
    throw new InvalidS3RequestError('InvalidBucketName', rawUrl, `"${bucket}" is not a bucket name`);
  }
  const rawKey = slash === -1 ? '' : path.slice(slash + 1);
  return { bucket, key: rawKey === '' ? undefined : decodeSegment(rawKey, rawUrl), query };
}

/** True when a key has a `.` or `..` segment, which URL parsers (fetch, light-my-request) resolve away. */
export function hasDotSegment(key: string): boolean {
  return key.split('/').some((segment) => segment === '.' || segment === '..');
}

/** The S3 events the edge derives from a successful request. */
export type S3Mutation =
  | {
      kind: 'created';
      eventName: 'ObjectCreated:Put' | 'ObjectCreated:Copy' | 'ObjectCreated:CompleteMultipartUpload';
    }
  | { kind: 'removed'; eventName: 'ObjectRemoved:Delete' }
  | { kind: 'batch-delete' }
  | { kind: 'notification-config' }
  | { kind: 'none' };

/**
 * Classifies an S3 request by the event it would raise. Multipart parts, tagging, ACL and
 * other sub-resources raise nothing, exactly as on AWS.
 */
export function classifyS3Mutation(
  method: string,
  info: S3RequestInfo,
  headers: Record<string, string | string[] | undefined>,
): S3Mutation {
  const q = info.query;
  if (q.has('notification')) return { kind: 'notification-config' };
  if (info.key === undefined) {
    return method === 'POST' && q.has('delete') ? { kind: 'batch-delete' } : { kind: 'none' };
  }
  const subresources = [
    'tagging',
    'acl',
    'retention',
    'legal-hold',
    'torrent',
    'restore',
    'select',
    'attributes',
  ];
  if (subresources.some((name) => q.has(name))) return { kind: 'none' };
  if (method === 'PUT') {
    if (q.has('partNumber') || q.has('uploadId')) return { kind: 'none' };
    return headers['x-amz-copy-source']
      ? { kind: 'created', eventName: 'ObjectCreated:Copy' }
      : { kind: 'created', eventName: 'ObjectCreated:Put' };
  }
  if (method === 'POST' && q.has('uploadId')) {
    return { kind: 'created', eventName: 'ObjectCreated:CompleteMultipartUpload' };
  }
  if (method === 'DELETE' && !q.has('uploadId'))
    return { kind: 'removed', eventName: 'ObjectRemoved:Delete' };
  return { kind: 'none' };
}
