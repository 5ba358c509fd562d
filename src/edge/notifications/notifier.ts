import type { Logger } from '../../logging/logger.ts';
import type { NotificationConfiguration } from './configuration.ts';
import { InvalidNotificationConfigurationError } from './configuration.ts';
import { buildObjectEvent, buildTestEvent, createSequencer } from './event.ts';
import { selectConfigurations } from './matching.ts';

/** How the notifier reaches SQS; the edge implements it in-process against the SQS emulator. */
export interface QueuePublisher {
  /** The queue URL for an ARN, or undefined when no such queue exists. */
  queueUrl(queueArn: string): Promise<string | undefined>;
  send(queueUrl: string, body: string): Promise<void>;
}

/** A change to an object, as seen by the edge after the S3 emulator accepted it. */
export interface ObjectChange {
  bucket: string;
  key: string;
  eventName: string;
  size?: number | undefined;
  eTag?: string | undefined;
  principal?: string | undefined;
  sourceIp?: string | undefined;
}

/** A delivered (or failed) notification, for observers such as tests and the dashboard. */
export interface NotificationRecord {
  bucket: string;
  key: string;
  eventName: string;
  queueArn: string;
  delivered: boolean;
  error?: string;
  at: Date;
}

/**
 * S3 bucket notifications to SQS: keeps each bucket's configuration and publishes the standard
 * event JSON for every object change a configuration selects.
 */
export class BucketNotifier {
  private readonly configurations = new Map<string, NotificationConfiguration>();
  private readonly nextSequencer = createSequencer();
  private readonly pending = new Set<Promise<void>>();
  private readonly listeners = new Set<(record: NotificationRecord) => void>();

  constructor(
    private readonly region: string,
    private readonly publisher: QueuePublisher,
    private readonly logger: Logger,
  ) {}

  get(bucket: string): NotificationConfiguration | undefined {
    return this.configurations.get(bucket);
  }

  /** Every bucket's configuration, for a snapshot (`--persist`). */
  snapshot(): Record<string, NotificationConfiguration> {
    return Object.fromEntries(this.configurations);
  }

  /**
   * Restores a snapshot's configurations as they were, without S3's test event: they were
   * configured (and tested) before the restart.
   */
  restore(configurations: Readonly<Record<string, NotificationConfiguration>>): void {
    for (const [bucket, configuration] of Object.entries(configurations)) {
      this.configurations.set(bucket, configuration);
    }
  }

  /**
   * Stores a configuration after checking every destination queue exists, then sends
   * `s3:TestEvent` to each destination, as S3 does. An empty configuration removes it.
   */
  async set(bucket: string, configuration: NotificationConfiguration): Promise<void> {
    const urls = new Map<string, string>();
    for (const queue of configuration.queueConfigurations) {
      const url = await this.publisher.queueUrl(queue.queueArn);
      if (!url) {
        throw new InvalidNotificationConfigurationError(
          `Unable to validate the following destination configurations: queue ${queue.queueArn} does not exist`,
        );
      }
      urls.set(queue.queueArn, url);
    }
    if (configuration.queueConfigurations.length === 0) {
      this.configurations.delete(bucket);
      return;
    }
    this.configurations.set(bucket, configuration);
    for (const url of new Set(urls.values())) {
      await this.publisher.send(url, JSON.stringify(buildTestEvent(bucket)));
    }
  }

  /** Forgets a deleted bucket's configuration. */
  forget(bucket: string): void {
    this.configurations.delete(bucket);
  }

  /** True when some configuration of the bucket could want this kind of event. */
  wants(bucket: string): boolean {
    return this.configurations.has(bucket);
  }

  /** Publishes the event for a change; never throws (failures are logged and reported). */
  notify(change: ObjectChange): Promise<void> {
    const configuration = this.configurations.get(change.bucket);
    if (!configuration) return Promise.resolve();
    const selected = selectConfigurations(configuration.queueConfigurations, change.eventName, change.key);
    const work = Promise.all(selected.map((queue) => this.deliver(change, queue.id, queue.queueArn))).then(
      () => undefined,
    );
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
    return work;
  }

  private async deliver(change: ObjectChange, configurationId: string, queueArn: string): Promise<void> {
    const record: NotificationRecord = {
      bucket: change.bucket,
      key: change.key,
      eventName: change.eventName,
      queueArn,
      delivered: false,
      at: new Date(),
    };
    try {
      const url = await this.publisher.queueUrl(queueArn);
      if (!url) throw new Error(`queue ${queueArn} no longer exists`);
      const event = buildObjectEvent({
        ...change,
        region: this.region,
        configurationId,
        sequencer: this.nextSequencer(),
      });
      await this.publisher.send(url, JSON.stringify(event));
      record.delivered = true;
      this.logger.debug(
        { bucket: change.bucket, key: change.key, event: change.eventName, queueArn },
        'S3 event sent',
      );
    } catch (error) {
      record.error = (error as Error).message;
      this.logger.warn(
        { bucket: change.bucket, key: change.key, event: change.eventName, queueArn, err: record.error },
        'S3 event could not be delivered',
      );
    }
    for (const listener of this.listeners) listener(record);
  }

  /** Subscribes to delivery records; returns the unsubscribe function. */
  onNotification(listener: (record: NotificationRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Waits for events still being published (used on shutdown). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }
}
