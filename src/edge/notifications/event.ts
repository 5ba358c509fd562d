import { randomUUID } from 'node:crypto';

/**
 * Encodes an object key the way S3 writes it into event notifications: form-URL-encoding
 * (space → `+`, UTF-8 percent escapes) with `/` left as is. Consumers reverse it with
 * `decodeURIComponent(key.replace(/\+/g, ' '))`.
 */
export function encodeEventKey(key: string): string {
  let out = '';
  for (const byte of Buffer.from(key, 'utf8')) {
    const char = String.fromCharCode(byte);
    if (/[A-Za-z0-9.\-*_/]/.test(char)) out += char;
    else if (char === ' ') out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export interface ObjectEventInput {
  region: string;
  bucket: string;
  key: string;
  eventName: string;
  configurationId: string;
  /** Access key that made the request, shown as the principal. */
  principal?: string | undefined;
  sourceIp?: string | undefined;
  size?: number | undefined;
  /** ETag without quotes. */
  eTag?: string | undefined;
  versionId?: string | undefined;
  sequencer: string;
  time?: Date;
}

/** One S3 event record in the standard notification format (event version 2.1). */
export function buildObjectEvent(input: ObjectEventInput): { Records: unknown[] } {
  const requestId = randomUUID().replaceAll('-', '').slice(0, 16).toUpperCase();
  const principalId = `AWS:${input.principal ?? 'AIDAEDGEEMBEDDED'}`;
  const object: Record<string, unknown> = { key: encodeEventKey(input.key) };
  if (input.size !== undefined) object.size = input.size;
  if (input.eTag !== undefined) object.eTag = input.eTag;
  if (input.versionId !== undefined) object.versionId = input.versionId;
  object.sequencer = input.sequencer;
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: input.region,
        eventTime: (input.time ?? new Date()).toISOString(),
        eventName: input.eventName,
        userIdentity: { principalId },
        requestParameters: { sourceIPAddress: input.sourceIp ?? '127.0.0.1' },
        responseElements: { 'x-amz-request-id': requestId, 'x-amz-id-2': `edge/${requestId}` },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: input.configurationId,
          bucket: {
            name: input.bucket,
            ownerIdentity: { principalId: 'A3EMBEDDEDEDGE' },
            arn: `arn:aws:s3:::${input.bucket}`,
          },
          object,
        },
      },
    ],
  };
}

/** The message S3 sends to each destination when a notification configuration is set. */
export function buildTestEvent(bucket: string, time: Date = new Date()): Record<string, string> {
  const requestId = randomUUID().replaceAll('-', '').slice(0, 16).toUpperCase();
  return {
    Service: 'Amazon S3',
    Event: 's3:TestEvent',
    Time: time.toISOString(),
    Bucket: bucket,
    RequestId: requestId,
    HostId: `edge/${requestId}`,
  };
}

/** Monotonic, fixed-width hexadecimal sequencers: later events sort after earlier ones. */
export function createSequencer(): () => string {
  let counter = BigInt(Date.now()) * 1000n;
  return () => {
    counter += 1n;
    return counter.toString(16).toUpperCase().padStart(18, '0');
  };
}

/** Access key id from a SigV4 `Authorization` header, if any. */
export function accessKeyFromAuthorization(header: string | undefined): string | undefined {
  return header?.match(/Credential=([^/,\s]+)\//)?.[1];
}
