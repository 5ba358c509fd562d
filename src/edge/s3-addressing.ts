import net from 'node:net';
import { hostnameOf } from './origin-policy.ts';

/**
 * S3 addressing on the edge. Path-style (`http://127.0.0.1:4566/bucket/key`) is what every client
 * of this project uses and works with any host name. Virtual-hosted style — the bucket as the
 * first labels of the host — is recognised only in the forms local clients produce:
 *
 * - `<bucket>.localhost[:port]` — an SDK or CLI given `http://localhost:4566` without path-style;
 * - `<bucket>.s3.<anything>` — e.g. `bucket.s3.localhost`, LocalStack's
 *   `bucket.s3.localhost.localstack.cloud`, AWS's `bucket.s3.eu-west-2.amazonaws.com`
 *   (also the legacy `bucket.s3-eu-west-2.amazonaws.com`).
 *
 * Every other host (an IP address, `localhost`, `s3.localhost`, a container name such as `edge`,
 * `host.docker.internal`, `localhost.localstack.cloud`) is path-style, whatever dots it contains.
 */

/** `sqs.<region>.localhost` is the host of the emulator's queue URLs, never a bucket. */
const NOT_BUCKET_FIRST_LABELS = new Set(['s3', 'sqs']);

function isS3Label(label: string): boolean {
  return label === 's3' || /^s3-[a-z]{2}(-[a-z]+)+-\d$/.test(label);
}

/** The bucket a virtual-hosted-style Host header names, or undefined for path-style. */
export function virtualHostBucket(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const hostname = hostnameOf(host);
  if (net.isIP(hostname) !== 0) return undefined;
  const labels = hostname.split('.');
  let s3Index = -1;
  for (let i = labels.length - 2; i > 0; i--) {
    if (isS3Label(labels[i]!)) {
      s3Index = i;
      break;
    }
  }
  let bucket: string | undefined;
  if (s3Index > 0) bucket = labels.slice(0, s3Index).join('.');
  else if (labels.length >= 2 && labels.at(-1) === 'localhost' && !NOT_BUCKET_FIRST_LABELS.has(labels[0]!)) {
    bucket = labels.slice(0, -1).join('.');
  }
  // Only what a host name can carry: a Host such as `a%2Fb.localhost` names no bucket.
  return bucket !== undefined && /^[a-z0-9._-]+$/.test(bucket) ? bucket : undefined;
}

/** The request's URL in path-style form, given the bucket its host named. */
export function pathStyleUrl(bucket: string, url: string): string {
  return `/${bucket}${url.startsWith('/') ? url : `/${url}`}`;
}
