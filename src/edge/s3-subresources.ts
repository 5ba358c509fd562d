import type { S3RequestInfo } from './s3-request.ts';

/**
 * S3 sub-resources (query parameters that select an API other than the plain bucket or object
 * operation) that the embedded S3 does not implement. The emulator does not know them either and
 * would serve the request as the plain operation — a PUT to `key?tagging` would replace the
 * object with the tagging XML, a GET of `bucket?versioning` would answer a listing — so the edge
 * refuses them with S3's `NotImplemented` instead.
 */
const BUCKET_SUBRESOURCES = [
  'accelerate',
  'acl',
  'analytics',
  'cors',
  'encryption',
  'intelligent-tiering',
  'inventory',
  'lifecycle',
  'logging',
  'metadataTable',
  'metrics',
  'object-lock',
  'ownershipControls',
  'policy',
  'policyStatus',
  'publicAccessBlock',
  'replication',
  'requestPayment',
  'session',
  'tagging',
  'uploads',
  'versioning',
  'versions',
  'website',
];

const OBJECT_SUBRESOURCES = [
  'acl',
  'attributes',
  'legal-hold',
  'restore',
  'retention',
  'select',
  'tagging',
  'torrent',
];

/** The unimplemented sub-resource a request asks for, or undefined. */
export function unsupportedSubresource(info: S3RequestInfo): string | undefined {
  const names = info.key === undefined ? BUCKET_SUBRESOURCES : OBJECT_SUBRESOURCES;
  return names.find((name) => info.query.has(name));
}
