import { setMaxListeners } from 'node:events';
import { ChangeMessageVisibilityCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { Consumer } from 'sqs-consumer';
import type { Logger } from '../../logging/logger.ts';
import { describeFailure } from '../../util/describe-failure.ts';
import type { MessageProcessor, MessageVerdict } from '../message-processor.ts';
import type { EgressEventBus, EgressEvents } from '../observability/events.ts';
import type { EgressMetrics } from '../observability/metrics.ts';
import { sendToDeadLetterQueue } from './dead-letter.ts';
import { type ReceiveBackoffPolicy, receiveBackoffPolicy } from './receive-backoff.ts';
import { ReceiveOutage } from './receive-outage.ts';

/** Options for {@link QueueConsumer}. */
export interface QueueConsumerOptions {
  /** A client with an explicit endpoint for emulators (see `createSqsClient`). */
  sqs: SQSClient;
  queueUrl: string;
  /** Where unparseable messages go at once; without it they wait for the queue's redrive policy. */
  deadLetterQueueUrl: string | undefined;
  /** Messages processed at the same time, across all pollers. */
  messagesInFlight: number;
  /** Messages per ReceiveMessage (1–10). */
  batchSize: number;
  /** Visibility (s) requested on receive and renewed by every heartbeat. */
  visibilityTimeoutSeconds: number;
  /** Heartbeat period (s), shorter than the visibility timeout. */
  heartbeatIntervalSeconds: number;
  /** Long-poll wait (s), 1–20. */
  waitTimeSeconds: number;
  processor: Pick<MessageProcessor, 'process'>;
  /**
   * Waits between receives while they keep failing (endpoint down). Validated at construction.
   * @defaultValue 0.5 s doubling to 20 s, 20 % jitter (`DEFAULT_RECEIVE_BACKOFF`)
   */
  receiveBackoff?: Partial<ReceiveBackoffPolicy> | undefined;
  events: EgressEventBus;
  metrics: EgressMetrics;
  logger: Logger;
}

/** The batch sizes of the pollers: they add up to exactly `messagesInFlight`. */
export function pollerBatchSizes(messagesInFlight: number, batchSize: number): number[] {
  const sizes: number[] = [];
  for (let remaining = messagesInFlight; remaining > 0; remaining -= batchSize) {
    sizes.push(Math.min(batchSize, remaining));
  }
  return sizes;
}

interface InFlight {
  readonly message: Message;
  readonly correlationId: string;
  /** Resolved when the message is settled: retained, or deleted (or the delete failed). */
  readonly settled: Promise<void>;
  readonly settle: () => void;
  /** The `message_processed` event to emit once the delete is confirmed. */
  pendingEvent?: EgressEvents['message_processed'];
}

/**
 * The SQS side of the service, on `sqs-consumer` (long polling, batches, heartbeats):
 *
 * - several pollers whose batch sizes add up to `messagesInFlight`, so that many messages at most
 *   are processed at once and a slow message never holds up a whole batch's successors for long;
 * - a heartbeat renews the visibility timeout while a message is processed, so a long transfer is
 *   never redelivered mid-flight (the original never extended it, behaviour §10.4);
 * - acknowledgement follows the processor's verdict: `delete` → deleted; `retain` → left for
 *   redelivery; `dead-letter` → sent to the DLQ with its reason, then deleted;
 * - {@link stop} drains: no new receives, in-flight messages finish (and are deleted) within the
 *   timeout, then the rest are aborted and left for redelivery;
 * - while receives fail (the endpoint is down) one poller probes with exponential, capped back-off
 *   and the others wait; one line when the outage starts, one when it ends ({@link ReceiveOutage}).
 */
export class QueueConsumer {
  private readonly consumers: Consumer[];
  private readonly inFlight = new Map<string, InFlight>();
  private readonly abortController = new AbortController();
  private stopping = false;
  private releasePollers: (() => void) | undefined;
  private readonly pollersParked: Promise<void>;
  private readonly outage: ReceiveOutage;

  constructor(private readonly options: QueueConsumerOptions) {
    this.outage = new ReceiveOutage({
      policy: receiveBackoffPolicy(options.receiveBackoff),
      logger: options.logger,
      queueUrl: options.queueUrl,
    });
    // Every in-flight message and object transfer listens on this one signal (and removes its
    // listener when done), so the default warning threshold of 10 would misfire under load.
    setMaxListeners(0, this.abortController.signal);
    this.pollersParked = new Promise((resolve) => {
      this.releasePollers = resolve;
    });
    this.consumers = pollerBatchSizes(options.messagesInFlight, options.batchSize).map((batchSize) =>
      this.createConsumer(batchSize),
    );
  }

  /** Number of messages being processed now. */
  get messagesInFlight(): number {
    return this.inFlight.size;
  }

  get isRunning(): boolean {
    return !this.stopping && this.consumers.some((consumer) => consumer.status.isRunning);
  }

  start(): void {
    for (const consumer of this.consumers) consumer.start();
  }

  /**
   * Stops receiving, waits up to `timeoutMs` for in-flight messages to finish, then aborts what is
   * left (those messages are not deleted and come back after their visibility timeout).
   *
   * @returns whether every in-flight message finished within the timeout.
   */
  async stop(timeoutMs: number): Promise<{ drained: boolean }> {
    if (this.stopping) return { drained: this.inFlight.size === 0 };
    this.stopping = true;
    this.outage.stop();
    const drained = await this.waitForInFlight(timeoutMs);
    if (!drained) {
      this.options.logger.warn(
        { messages: this.inFlight.size, timeoutMs },
        'shutdown timeout: aborting in-flight messages',
      );
      this.abortController.abort(new Error('egress service stopping'));
      await this.waitForInFlight(5_000);
    }
    // Abort the long polls still waiting; parked pollers wake up into a stopped consumer.
    for (const consumer of this.consumers) consumer.stop({ abort: true });
    this.releasePollers?.();
    return { drained };
  }

  private async waitForInFlight(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const all = Promise.all([...this.inFlight.values()].map((entry) => entry.settled)).then(() => true);
    try {
      return await Promise.race([all, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private createConsumer(batchSize: number): Consumer {
    const { options } = this;
    const consumer = Consumer.create({
      sqs: options.sqs,
      queueUrl: options.queueUrl,
      batchSize,
      waitTimeSeconds: options.waitTimeSeconds,
      visibilityTimeout: options.visibilityTimeoutSeconds,
      heartbeatInterval: options.heartbeatIntervalSeconds,
      messageSystemAttributeNames: ['ApproximateReceiveCount'],
      strictReturn: false,
      // During an outage a poller waits here for its back-off (or for the outage to end); while
      // stopping, a poller that comes round for another receive waits here instead.
      preReceiveMessageCallback: async () => {
        await this.outage.beforeReceive();
        if (this.stopping) await this.pollersParked;
      },
      postReceiveMessageCallback: async () => {
        this.outage.succeeded();
      },
      handleMessage: (message) => this.handleMessage(message),
    });
    consumer.on('message_processed', (message) => this.deleted(message));
    consumer.on('error', (error, messages) => {
      const message = Array.isArray(messages) ? messages[0] : messages;
      if (message?.MessageId && this.inFlight.has(message.MessageId)) {
        this.deleteFailed(message, error);
        return;
      }
      if (this.stopping) return; // aborted long polls while shutting down
      this.outage.failed(error);
    });
    consumer.on('processing_error', (error, message) => {
      options.logger.error(
        { err: error, messageId: message.MessageId },
        'unexpected message handler failure',
      );
    });
    return consumer;
  }

  private async handleMessage(message: Message): Promise<Message | undefined> {
    const messageId = message.MessageId ?? 'unknown';
    if (this.stopping || this.abortController.signal.aborted) {
      await this.release(message);
      return undefined;
    }
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => {
      settle = resolve;
    });
    const entry: InFlight = { message, correlationId: messageId, settled, settle };
    this.inFlight.set(messageId, entry);
    try {
      const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? 1);
      this.options.events.emit('message_received', { messageId, correlationId: messageId, receiveCount });
      const verdict = await this.options.processor.process(
        { messageId, body: message.Body, receiveCount },
        this.abortController.signal,
      );
      return await this.act(entry, verdict);
    } catch (error) {
      // The processor decides failures itself; reaching here is a bug, so keep the message.
      this.options.logger.error(
        { err: error, messageId },
        'message processing crashed; message left for retry',
      );
      this.finish(entry, {
        messageId,
        correlationId: messageId,
        action: 'retained',
        reason: 'crashed',
        flagKeys: [],
        rules: [],
        durationMs: 0,
      });
      return undefined;
    }
  }

  private async act(entry: InFlight, verdict: MessageVerdict): Promise<Message | undefined> {
    const messageId = entry.correlationId;
    const event = {
      messageId,
      correlationId: messageId,
      reason: verdict.reason,
      flagKeys: verdict.flagKeys,
      rules: verdict.rules,
      durationMs: verdict.durationMs,
    };
    if (verdict.action === 'delete') {
      entry.pendingEvent = { ...event, action: 'deleted' };
      this.options.metrics.message(verdict.reason === 'test-event' ? 'test_event' : 'deleted');
      return entry.message;
    }
    if (verdict.action === 'dead-letter') {
      const reason = verdict.detail ?? verdict.reason;
      const deadLetterQueueUrl = this.options.deadLetterQueueUrl;
      if (deadLetterQueueUrl) {
        try {
          await sendToDeadLetterQueue(this.options.sqs, deadLetterQueueUrl, {
            messageId,
            body: entry.message.Body,
            sourceQueueUrl: this.options.queueUrl,
            reason,
          });
          this.options.logger.error(
            { messageId, reason, deadLetterQueueUrl },
            'message sent to the dead-letter queue',
          );
          this.options.events.emit('message_dead_lettered', {
            messageId,
            correlationId: messageId,
            reason,
            sentToDeadLetterQueue: true,
          });
          this.options.metrics.message('dead_lettered');
          entry.pendingEvent = { ...event, action: 'deleted', reason: 'dead-lettered' };
          return entry.message;
        } catch (error) {
          this.options.logger.error(
            { err: error, messageId },
            'could not send to the dead-letter queue; message left for the redrive policy',
          );
        }
      } else {
        this.options.logger.error(
          { messageId, reason },
          'unprocessable message left for the redrive policy (no dead-letter queue configured)',
        );
        this.options.events.emit('message_dead_lettered', {
          messageId,
          correlationId: messageId,
          reason,
          sentToDeadLetterQueue: false,
        });
      }
    }
    this.options.metrics.message('retained');
    this.finish(entry, { ...event, action: 'retained' });
    return undefined;
  }

  /** sqs-consumer confirmed the delete. */
  private deleted(message: Message): void {
    const entry = message.MessageId ? this.inFlight.get(message.MessageId) : undefined;
    if (!entry) return;
    this.options.logger.info(
      { messageId: entry.correlationId, reason: entry.pendingEvent?.reason },
      'message deleted',
    );
    if (entry.pendingEvent) this.finish(entry, entry.pendingEvent);
  }

  private deleteFailed(message: Message, error: Error): void {
    const entry = this.inFlight.get(message.MessageId!);
    if (!entry) return;
    if (!entry.pendingEvent || !error.message.startsWith('SQS delete message failed')) {
      // A heartbeat failed; processing continues and the outcome is reported when it ends.
      this.options.logger.warn({ err: error, messageId: entry.correlationId }, 'visibility heartbeat failed');
      return;
    }
    this.options.logger.error(
      { err: error, messageId: entry.correlationId },
      'could not delete the message; it will be redelivered',
    );
    this.finish(entry, { ...entry.pendingEvent, action: 'retained', reason: 'delete-failed' });
  }

  private finish(entry: InFlight, event: EgressEvents['message_processed']): void {
    this.inFlight.delete(entry.correlationId);
    this.options.events.emit('message_processed', event);
    entry.settle();
  }

  /** Hands a message received during shutdown straight back to the queue. */
  private async release(message: Message): Promise<void> {
    try {
      await this.options.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.options.queueUrl,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      );
    } catch (error) {
      this.options.logger.debug(
        { reason: describeFailure(error), messageId: message.MessageId },
        'could not release message',
      );
    }
  }
}
