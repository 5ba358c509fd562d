import { MalformedMessageError } from '../errors.ts';
import { FLAG_SUFFIX, isFlagKey } from '../plan/naming.ts';

/** A `pipeline_success.flag` creation: the unit of work of the service. */
export interface FlagEvent {
  /** The object key, URL-decoded. */
  readonly key: string;
  /** `s3.bucket.name` when present; informational only — the source bucket always comes from the rule. */
  readonly bucket: string | undefined;
  /** `eventName` when present (the original's tests send records without one). */
  readonly eventName: string | undefined;
}

/** A record acknowledged without action, with why (for the log). */
export interface IgnoredRecord {
  readonly index: number;
  readonly key: string | undefined;
  readonly eventName: string | undefined;
  readonly reason: string;
}

/** What an SQS body means to the service. */
export type ParsedMessage =
  | { readonly kind: 'test-event' }
  | { readonly kind: 'records'; readonly flags: FlagEvent[]; readonly ignored: IgnoredRecord[] };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** S3 URL-encodes keys in events (space → `+`); real S3, LocalStack and the edge all do. */
export function decodeEventKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}

/**
 * Event names as S3 writes them (`ObjectCreated:Put`) and as configurations spell them
 * (`s3:ObjectCreated:*`). A record without `eventName` is treated as a creation: the original's
 * own tests send `{"Records":[{"s3":{"object":{"key":"k"}}}]}`.
 */
function isObjectCreated(eventName: string | undefined): boolean {
  if (eventName === undefined) return true;
  return eventName.startsWith('ObjectCreated:') || eventName.startsWith('s3:ObjectCreated:');
}

/**
 * Parses an SQS body as an S3 event notification (behaviour §1.2, with the fixes of §10.5/§10.10):
 * - `s3:TestEvent` → `test-event` (acknowledged);
 * - each record that is an ObjectCreated event for a key ending `pipeline_success.flag` → a flag;
 *   other records (deletions, other keys, records without a key) are ignored with a reason;
 * - anything that is not an S3 event at all throws {@link MalformedMessageError} (→ DLQ) instead of
 *   looping forever as in the original.
 */
export function parseS3EventMessage(body: string | undefined): ParsedMessage {
  if (body === undefined || body.trim() === '') throw new MalformedMessageError('message body is empty');
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch (error) {
    throw new MalformedMessageError(`message body is not JSON: ${(error as Error).message}`);
  }
  if (!isRecord(document)) throw new MalformedMessageError('message body is not a JSON object');
  if (document.Event === 's3:TestEvent') return { kind: 'test-event' };
  if (!('Records' in document)) {
    const hint = document.Type === 'Notification' ? ' (an SNS envelope; the queue needs raw S3 events)' : '';
    throw new MalformedMessageError(`message body has no Records${hint}`);
  }
  const records = document.Records;
  if (!Array.isArray(records)) throw new MalformedMessageError('Records is not an array');

  const flags: FlagEvent[] = [];
  const ignored: IgnoredRecord[] = [];
  records.forEach((record: unknown, index) => {
    if (!isRecord(record)) throw new MalformedMessageError(`Records[${index}] is not an object`);
    const eventName = typeof record.eventName === 'string' ? record.eventName : undefined;
    const s3 = isRecord(record.s3) ? record.s3 : undefined;
    const object = s3 && isRecord(s3.object) ? s3.object : undefined;
    const bucket =
      s3 && isRecord(s3.bucket) && typeof s3.bucket.name === 'string' ? s3.bucket.name : undefined;
    if (!object || typeof object.key !== 'string') {
      ignored.push({ index, key: undefined, eventName, reason: 'record has no s3.object.key' });
      return;
    }
    let key: string;
    try {
      key = decodeEventKey(object.key);
    } catch {
      throw new MalformedMessageError(`Records[${index}].s3.object.key is not URL-encoded correctly`);
    }
    if (!isObjectCreated(eventName)) {
      ignored.push({ index, key, eventName, reason: `event ${eventName} is not ObjectCreated` });
    } else if (!isFlagKey(key)) {
      ignored.push({ index, key, eventName, reason: `key does not end with ${FLAG_SUFFIX}` });
    } else {
      flags.push({ key, bucket, eventName });
    }
  });
  return { kind: 'records', flags, ignored };
}
