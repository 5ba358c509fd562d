import { open } from 'node:fs/promises';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { DEAD_LETTER_REASON_ATTRIBUTE } from '../egress/consumer/dead-letter.ts';
import type { MessageFailure } from './rule-activity.ts';

/*
 * The dead-letter queue as a stakeholder asks about it: each message, why it is there, and a way
 * to send it back. Reading never takes a message away (the embedded edge's non-destructive
 * inspection, or a receive that leaves it visible). Redriving moves one message with receive →
 * send → delete: fauxqs 1.9.2 has no StartMessageMoveTask (it answers "Unknown action"), and a
 * move task moves every message, not the one asked for. Sent before deleted, so a failure can
 * duplicate a message but never lose one.
 */

/** Attributes the egress service adds when it dead-letters a message itself. */
const SOURCE_MESSAGE_ATTRIBUTE = 'egress_source_message_id';
const SOURCE_QUEUE_ATTRIBUTE = 'egress_source_queue_url';
const SERVICE_ATTRIBUTES = new Set([
  DEAD_LETTER_REASON_ATTRIBUTE,
  SOURCE_MESSAGE_ATTRIBUTE,
  SOURCE_QUEUE_ATTRIBUTE,
]);

/** A message in the dead-letter queue, as read. */
export interface DeadLetterMessage {
  readonly messageId: string;
  readonly body: string;
  /** ISO time it was first sent (to the source queue, for a message moved by the redrive policy). */
  readonly sentAt?: string | undefined;
  readonly receiveCount?: number | undefined;
  readonly attributes: Readonly<Record<string, string>>;
}

/** Where a dead letter's reason came from. */
export type ReasonSource = 'dead-letter attribute' | 'service events' | 'service log' | 'unknown';

/** A dead letter with its reason, for the page. */
export interface DeadLetterView extends DeadLetterMessage {
  /** What the body is, for a person: the S3 event's objects, or the body itself. */
  readonly summary: string;
  readonly reason: string;
  readonly reasonSource: ReasonSource;
  /** The id the message had on the source queue (the service's own dead-lettering gives it a new one). */
  readonly sourceMessageId: string;
  readonly sourceQueueUrl: string;
}

/**
 * A message body told briefly: an S3 event names its event and objects (keys decoded, as the
 * service decodes them); anything else is itself. Pure.
 */
export function summariseBody(body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body;
  }
  const records = (parsed as { Records?: unknown })?.Records;
  if (!Array.isArray(records) || records.length === 0) return body;
  const described = records.map((record) => {
    const r = record as {
      eventName?: unknown;
      s3?: { bucket?: { name?: unknown }; object?: { key?: unknown } };
    };
    const key = typeof r.s3?.object?.key === 'string' ? r.s3.object.key : '?';
    let decoded = key;
    try {
      decoded = decodeURIComponent(key.replace(/\+/g, ' '));
    } catch {
      // not percent-encoded after all: shown as it is
    }
    return `${typeof r.eventName === 'string' ? r.eventName : 'S3 event'} s3://${String(r.s3?.bucket?.name ?? '?')}/${decoded}`;
  });
  return `S3 event: ${described.join(', ')}`;
}

/**
 * Why a dead letter is there: the reason the service attached when it dead-lettered it itself,
 * else what the service reported while the message kept failing (its events, or its log for
 * failures from before the dashboard started), else unknown. Pure.
 */
export function deadLetterView(
  message: DeadLetterMessage,
  context: {
    readonly sourceQueueUrl: string;
    readonly failure: (messageId: string) => MessageFailure | undefined;
    readonly logged: (messageId: string) => string | undefined;
  },
): DeadLetterView {
  const sourceMessageId = message.attributes[SOURCE_MESSAGE_ATTRIBUTE] ?? message.messageId;
  const sourceQueueUrl = message.attributes[SOURCE_QUEUE_ATTRIBUTE] ?? context.sourceQueueUrl;
  const base = { ...message, summary: summariseBody(message.body), sourceMessageId, sourceQueueUrl };
  const attribute = message.attributes[DEAD_LETTER_REASON_ATTRIBUTE];
  if (attribute) {
    return {
      ...base,
      reason: `the service could never process it: ${attribute}`,
      reasonSource: 'dead-letter attribute',
    };
  }
  const failure = context.failure(sourceMessageId);
  if (failure) {
    return {
      ...base,
      reason: `${failure.reason} — failed ${failure.attempts === 1 ? 'once' : `${failure.attempts} times`} here, then moved by the queue's redrive policy`,
      reasonSource: 'service events',
    };
  }
  const logged = context.logged(sourceMessageId);
  if (logged) {
    return {
      ...base,
      reason: `${logged} — moved by the queue's redrive policy`,
      reasonSource: 'service log',
    };
  }
  return {
    ...base,
    reason:
      'not known: the service reported no failure for this message (sent to the dead-letter queue by someone else?)',
    reasonSource: 'unknown',
  };
}

/** fauxqs's non-destructive inspection of a queue (`GET /_fauxqs/queues/<name>`), as much as is read. */
interface InspectedMessage {
  messageId: string;
  body: string;
  sentTimestamp?: number;
  approximateReceiveCount?: number;
  messageAttributes?: Record<string, { StringValue?: string }>;
}

function fromInspection(message: InspectedMessage): DeadLetterMessage {
  return {
    messageId: message.messageId,
    body: message.body,
    sentAt: message.sentTimestamp ? new Date(message.sentTimestamp).toISOString() : undefined,
    receiveCount: message.approximateReceiveCount,
    attributes: Object.fromEntries(
      Object.entries(message.messageAttributes ?? {}).flatMap(([name, value]) =>
        typeof value.StringValue === 'string' ? [[name, value.StringValue]] : [],
      ),
    ),
  };
}

function fromReceived(message: Message): DeadLetterMessage {
  const sent = Number(message.Attributes?.SentTimestamp);
  return {
    messageId: message.MessageId ?? '',
    body: message.Body ?? '',
    sentAt: Number.isFinite(sent) && sent > 0 ? new Date(sent).toISOString() : undefined,
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount) || undefined,
    attributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).flatMap(([name, value]) =>
        typeof value.StringValue === 'string' ? [[name, value.StringValue]] : [],
      ),
    ),
  };
}

/** Options of {@link peekDeadLetters}. */
export interface PeekOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** The embedded edge's endpoint: its inspection lists every message without receiving any. */
  readonly inspectEndpoint?: string | undefined;
  readonly max?: number;
}

/**
 * The messages of a dead-letter queue, oldest first, without taking any away. Against another
 * endpoint (moto, LocalStack) one receive that leaves them visible shows up to ten.
 */
export async function peekDeadLetters(
  options: PeekOptions,
): Promise<{ messages: DeadLetterMessage[]; complete: boolean }> {
  const max = options.max ?? 100;
  if (options.inspectEndpoint) {
    const name = options.queueUrl.split('/').pop()!;
    const response = await fetch(
      new URL(`/_fauxqs/queues/${encodeURIComponent(name)}`, options.inspectEndpoint),
      {
        signal: AbortSignal.timeout(5_000),
      },
    );
    if (!response.ok) throw new Error(`inspecting ${name} answered ${response.status}`);
    const inspected = (await response.json()) as {
      messages: {
        ready: InspectedMessage[];
        delayed: InspectedMessage[];
        inflight: { message: InspectedMessage }[];
      };
    };
    const all = [
      ...inspected.messages.ready,
      ...inspected.messages.inflight.map((entry) => entry.message),
      ...inspected.messages.delayed,
    ].map(fromInspection);
    return { messages: all.slice(0, max), complete: all.length <= max };
  }
  const received = await options.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: options.queueUrl,
      MaxNumberOfMessages: 10,
      VisibilityTimeout: 0,
      WaitTimeSeconds: 0,
      MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
      MessageAttributeNames: ['All'],
    }),
  );
  const messages = (received.Messages ?? []).map(fromReceived);
  return { messages, complete: messages.length < 10 };
}

/**
 * The reasons the egress service logged for messages left for a retry, from the tail of its log
 * (JSON lines): for dead letters whose failures happened before the dashboard was listening.
 */
export async function loggedFailures(
  logFile: string,
  messageIds: ReadonlySet<string>,
  tailBytes = 8 * 1024 * 1024,
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  if (messageIds.size === 0) return found;
  const handle = await open(logFile, 'r').catch(() => undefined);
  if (!handle) return found;
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - tailBytes);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    for (const line of buffer.toString('utf8').split('\n')) {
      if (!line.includes('"messageId"')) continue;
      let entry: { messageId?: unknown; msg?: unknown; detail?: unknown; reason?: unknown };
      try {
        entry = JSON.parse(line);
      } catch {
        continue;
      }
      if (typeof entry.messageId !== 'string' || !messageIds.has(entry.messageId)) continue;
      const why =
        typeof entry.detail === 'string'
          ? entry.detail
          : typeof entry.reason === 'string'
            ? entry.reason
            : undefined;
      if (why && typeof entry.msg === 'string' && /retry|malformed|failed/i.test(entry.msg)) {
        found.set(entry.messageId, why); // the last such line wins
      }
    }
  } finally {
    await handle.close();
  }
  return found;
}

/** The attributes to send a redriven message with: its own, without those the service added. */
function ownAttributes(message: Message): Record<string, MessageAttributeValue> | undefined {
  const own = Object.entries(message.MessageAttributes ?? {}).filter(
    ([name]) => !SERVICE_ATTRIBUTES.has(name),
  );
  return own.length ? Object.fromEntries(own) : undefined;
}

/** What a redrive did. */
export interface RedriveResult {
  readonly moved: readonly { readonly messageId: string; readonly to: string }[];
  /** A message asked for that was not found (already redriven, or purged). */
  readonly missing?: string | undefined;
}

/** Options of {@link redriveDeadLetters}. */
export interface RedriveOptions {
  readonly sqs: SQSClient;
  readonly deadLetterQueueUrl: string;
  /** Where a message goes when it does not name its source queue. */
  readonly sourceQueueUrl: string;
  /** One message, or every message there now when undefined. */
  readonly messageId?: string | undefined;
  /** At most this many receives while looking (each takes up to ten messages). @defaultValue 20 */
  readonly maxReceives?: number;
  readonly signal?: AbortSignal;
}

/**
 * Moves dead letters back to their source queue: receive (hidden for 30 s meanwhile), send to the
 * source, then delete from the dead-letter queue. Messages received while looking for another are
 * made visible again at once. A message that comes back while this runs (it fails again) is not
 * chased: each is moved at most once per call.
 */
export async function redriveDeadLetters(options: RedriveOptions): Promise<RedriveResult> {
  const { sqs, deadLetterQueueUrl } = options;
  const abort = { abortSignal: options.signal };
  const moved: { messageId: string; to: string }[] = [];
  const seen = new Set<string>();
  for (let receive = 0; receive < (options.maxReceives ?? 20); receive++) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 30,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
      }),
      abort,
    );
    if (Messages.length === 0) break;
    let fresh = 0;
    for (const message of Messages) {
      const id = message.MessageId ?? '';
      const wanted = options.messageId === undefined ? !seen.has(id) : id === options.messageId;
      if (!wanted) {
        await sqs
          .send(
            new ChangeMessageVisibilityCommand({
              QueueUrl: deadLetterQueueUrl,
              ReceiptHandle: message.ReceiptHandle,
              VisibilityTimeout: 0,
            }),
            abort,
          )
          .catch(() => {}); // it becomes visible by itself in 30 s
        continue;
      }
      fresh += 1;
      seen.add(id);
      const to = message.MessageAttributes?.[SOURCE_QUEUE_ATTRIBUTE]?.StringValue ?? options.sourceQueueUrl;
      try {
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: to,
            MessageBody: message.Body ?? '',
            MessageAttributes: ownAttributes(message),
          }),
          abort,
        );
      } catch (error) {
        await sqs
          .send(
            new ChangeMessageVisibilityCommand({
              QueueUrl: deadLetterQueueUrl,
              ReceiptHandle: message.ReceiptHandle,
              VisibilityTimeout: 0,
            }),
          )
          .catch(() => {});
        throw new Error(`could not send message ${id} back to ${to}: ${(error as Error).message}`, {
          cause: error,
        });
      }
      await sqs.send(
        new DeleteMessageCommand({ QueueUrl: deadLetterQueueUrl, ReceiptHandle: message.ReceiptHandle }),
        abort,
      );
      moved.push({ messageId: id, to });
      if (options.messageId !== undefined) return { moved };
    }
    if (options.messageId === undefined && fresh === 0) break;
  }
  return options.messageId === undefined ? { moved } : { moved, missing: options.messageId };
}
