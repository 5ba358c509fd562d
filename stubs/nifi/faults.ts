import { setTimeout as delay } from 'node:timers/promises';
import type { Refusal } from './validation.ts';

/** Knobs for reliability tests. */
export interface StubNifiFaults {
  /** The next `count` POSTs get `status` (default 503) and store nothing. */
  failNext(count: number, status?: number): void;
  /** Every POST waits `ms` before it is handled. */
  setLatency(ms: number): void;
  /** No injected failures, no latency. */
  reset(): void;
}

/** The faults a test asked for, applied to each POST before it is handled. */
export class FaultInjector implements StubNifiFaults {
  private failures = { remaining: 0, status: 503 };
  private latencyMs = 0;

  readonly failNext = (count: number, status = 503): void => {
    if (!Number.isInteger(count) || count < 0)
      throw new Error(`failNext count must be a non-negative integer, got ${count}`);
    if (!Number.isInteger(status) || status < 100 || status > 599)
      throw new Error(`failNext status must be an HTTP status, got ${status}`);
    this.failures = { remaining: count, status };
  };

  readonly setLatency = (ms: number): void => {
    if (!Number.isFinite(ms) || ms < 0)
      throw new Error(`latency must be a non-negative number of ms, got ${ms}`);
    this.latencyMs = ms;
  };

  readonly reset = (): void => {
    this.failures = { remaining: 0, status: 503 };
    this.latencyMs = 0;
  };

  /** Waits the latency, then returns the injected refusal this request gets, if any. */
  async beforeRequest(): Promise<Refusal | undefined> {
    if (this.latencyMs > 0) await delay(this.latencyMs);
    if (this.failures.remaining <= 0) return undefined;
    this.failures.remaining--;
    return { status: this.failures.status, reason: 'injected fault (faults.failNext)' };
  }
}
