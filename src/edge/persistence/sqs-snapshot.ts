/*
 * Queues and their messages across a restart (`--persist`). fauxqs 1.9.2 keeps SQS in memory only;
 * its store's queues are read at a graceful stop and re-created at the next start. Messages that
 * were in flight come back visible (their receipt handles died with the process, as a consumer's
 * would), with their receive counts, so the redrive policy still counts earlier attempts.
 */

/** A message as fauxqs 1.9.2 keeps it (`SqsMessage` in its sqsTypes.d.ts). JSON-safe. */
export interface FauxqsMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  messageAttributes: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;
  md5OfMessageAttributes: string;
  sentTimestamp: number;
  approximateReceiveCount: number;
  approximateFirstReceiveTimestamp?: number;
  delayUntil?: number;
  messageGroupId?: string;
  messageDeduplicationId?: string;
  sequenceNumber?: string;
}

/** The part of fauxqs 1.9.2's `SqsQueue` the snapshot reads and writes. */
export interface FauxqsQueue {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  createdTimestamp: number;
  lastModifiedTimestamp: number;
  attributes: Record<string, string>;
  tags: Map<string, string>;
  sequenceCounter: number;
  enqueue(message: FauxqsMessage): void;
  inspectMessages(): {
    ready: FauxqsMessage[];
    delayed: FauxqsMessage[];
    inflight: { message: FauxqsMessage }[];
  };
}

/** The part of fauxqs 1.9.2's `SqsStore` the snapshot reads and writes. */
export interface FauxqsQueueStore {
  listQueues(): FauxqsQueue[];
  createQueue(
    name: string,
    url: string,
    arn: string,
    attributes: Record<string, string>,
    tags: Record<string, string>,
  ): FauxqsQueue;
}

/** A queue as a snapshot keeps it. */
export interface PersistedQueue {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  readonly createdTimestamp: number;
  readonly lastModifiedTimestamp: number;
  readonly attributes: Record<string, string>;
  readonly tags: Record<string, string>;
  readonly sequenceCounter: number;
  /** Visible ones first (in order), then those that were in flight, then delayed ones. */
  readonly messages: readonly FauxqsMessage[];
}

/** Every queue and its messages, in the store's order. */
export function snapshotQueues(store: FauxqsQueueStore): PersistedQueue[] {
  return store.listQueues().map((queue) => {
    const { ready, delayed, inflight } = queue.inspectMessages();
    return {
      name: queue.name,
      url: queue.url,
      arn: queue.arn,
      createdTimestamp: queue.createdTimestamp,
      lastModifiedTimestamp: queue.lastModifiedTimestamp,
      attributes: { ...queue.attributes },
      tags: Object.fromEntries(queue.tags),
      sequenceCounter: queue.sequenceCounter,
      messages: [...ready, ...inflight.map((entry) => entry.message), ...delayed].map((message) => ({
        ...message,
      })),
    };
  });
}

/**
 * A queue URL moved to the edge's port now (with port 0 it changes from run to run); the host
 * (`sqs.<region>.localhost`) and path stay. Pure.
 */
export function rebaseQueueUrl(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.port = String(port);
  return parsed.href;
}

/** Re-creates the snapshot's queues and messages in an empty store; returns how many messages. */
export function restoreQueues(
  store: FauxqsQueueStore,
  queues: readonly PersistedQueue[],
  port: number,
): number {
  let messages = 0;
  for (const persisted of queues) {
    const queue = store.createQueue(
      persisted.name,
      rebaseQueueUrl(persisted.url, port),
      persisted.arn,
      { ...persisted.attributes },
      { ...persisted.tags },
    );
    queue.createdTimestamp = persisted.createdTimestamp;
    queue.lastModifiedTimestamp = persisted.lastModifiedTimestamp;
    queue.sequenceCounter = persisted.sequenceCounter;
    for (const message of persisted.messages) {
      queue.enqueue({ ...message });
      messages += 1;
    }
  }
  return messages;
}
