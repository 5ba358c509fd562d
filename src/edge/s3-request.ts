/** What the edge needs to know about a path-style S3 request. */
export interface S3RequestInfo {
  bucket: string;
  /** Decoded object key; undefined for bucket-level requests. */
  key?: string | undefined;
  query: URLSearchParams;
}

/**
 * Parses a path-style S3 URL (`/bucket/key?query`). The key keeps every slash it had,
 * including a leading one (`/bucket//leading/slash` → key `/leading/slash`), because
 * the original routing rules use such keys.
 */
export function parseS3Request(rawUrl: string): S3RequestInfo | undefined {
  // Split by hand: WHATWG URL parsing would resolve `.` and `..` segments, and `x/..` is a key.
  const target = /^https?:\/\/[^/]*/i.test(rawUrl) ? rawUrl.replace(/^https?:\/\/[^/]*/i, '') : rawUrl;
  const queryAt = target.indexOf('?');
  const path = queryAt === -1 ? target : target.slice(0, queryAt);
  const query = new URLSearchParams(queryAt === -1 ? '' : target.slice(queryAt + 1));
  if (path === '/' || path === '') return undefined;
  const slash = path.indexOf('/', 1);
  const bucket = decodeURIComponent(slash === -1 ? path.slice(1) : path.slice(1, slash));
  if (!bucket) return undefined;
  const rawKey = slash === -1 ? '' : path.slice(slash + 1);
  return { bucket, key: rawKey === '' ? undefined : decodeURIComponent(rawKey), query };
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
