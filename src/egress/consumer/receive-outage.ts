import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../../logging/logger.ts';
import { describeFailure } from '../../util/describe-failure.ts';
import { type ReceiveBackoffPolicy, receiveBackoffDelayMs } from './receive-backoff.ts';

/** Options for {@link ReceiveOutage}. */
export interface ReceiveOutageOptions {
  policy: ReceiveBackoffPolicy;
  logger: Logger;
  /** The queue, named in the log lines. */
  queueUrl: string;
  /** 0 ≤ x < 1, for the jitter. @defaultValue Math.random */
  random?: () => number;
  /** @defaultValue Date.now */
  now?: () => number;
}

/** What the outage looked like when it ended. */
export interface OutageSummary {
  durationMs: number;
  /** Receives that failed during it, including the first. */
  failedReceives: number;
}

/**
 * Keeps the pollers of one queue consumer from hammering an SQS endpoint that is down. Without it,
 * each poller retried at once, forever: 1,475 log lines and 3 s of CPU in 10 s (issue 12).
 *
 * The first failed receive starts an outage (one warning). From then on ONE poller probes, after an
 * exponential, capped, jittered wait ({@link receiveBackoffDelayMs}); the others wait for the
 * outage to end. Failed probes are logged at debug level only. The first successful receive ends
 * the outage (one line with its duration and the number of failed receives) and wakes every
 * poller at once.
 */
export class ReceiveOutage {
  private readonly random: () => number;
  private readonly now: () => number;
  private startedAt: number | undefined;
  private failedReceives = 0;
  private probes = 0;
  private probing = false;
  /** Aborted when the outage ends (or the consumer stops): wakes every waiting poller. */
  private ended = new AbortController();
  private stopped = false;

  constructor(private readonly options: ReceiveOutageOptions) {
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
  }

  /** Whether receives are failing now. */
  get inOutage(): boolean {
    return this.startedAt !== undefined;
  }

  /** A receive failed (the consumer's `error` event without a message). */
  failed(error: unknown): void {
    this.failedReceives += 1;
    this.probing = false;
    if (this.startedAt === undefined) {
      this.startedAt = this.now();
      this.options.logger.warn(
        { queueUrl: this.options.queueUrl, reason: describeFailure(error) },
        'SQS receive failing: outage started; backing off until it works again',
      );
      return;
    }
    this.options.logger.debug(
      {
        queueUrl: this.options.queueUrl,
        failedReceives: this.failedReceives,
        reason: describeFailure(error),
      },
      'SQS receive still failing',
    );
  }

  /** A receive succeeded (messages or none): ends an outage. */
  succeeded(): OutageSummary | undefined {
    if (this.startedAt === undefined) return undefined;
    const summary = { durationMs: this.now() - this.startedAt, failedReceives: this.failedReceives };
    this.startedAt = undefined;
    this.failedReceives = 0;
    this.probes = 0;
    this.probing = false;
    this.options.logger.info(
      { queueUrl: this.options.queueUrl, ...summary },
      'SQS receive works again: outage ended',
    );
    this.wakeAll();
    return summary;
  }

  /**
   * Called before every receive. Returns at once when there is no outage; during one, either waits
   * out this poller's back-off and returns (it is the probe), or waits until the outage ends.
   * Returns early once {@link stop} is called.
   */
  async beforeReceive(): Promise<void> {
    while (this.startedAt !== undefined && !this.stopped) {
      const { signal } = this.ended;
      if (!this.probing) {
        this.probing = true;
        this.probes += 1;
        const waitMs = receiveBackoffDelayMs(this.options.policy, this.probes, this.random());
        this.options.logger.debug(
          { queueUrl: this.options.queueUrl, waitMs, probe: this.probes },
          'next SQS probe',
        );
        await delay(waitMs, undefined, { signal }).catch(() => undefined);
        return;
      }
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
  }

  /** Wakes every waiting poller for good (the consumer is stopping). */
  stop(): void {
    this.stopped = true;
    this.wakeAll();
  }

  private wakeAll(): void {
    this.ended.abort();
    this.ended = new AbortController();
  }
}
