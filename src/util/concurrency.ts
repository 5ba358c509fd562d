/** Runs a task within some limit: what a caller that only schedules work needs of a {@link Limiter}. */
export type RunLimited = <T>(task: () => Promise<T>) => Promise<T>;

/**
 * At most `limit` tasks run at once; the rest wait in arrival order. A finishing task hands its
 * slot straight to the next waiter, so a newcomer can never slip in and exceed the limit.
 */
export class Limiter {
  private running = 0;
  private readonly queue: Array<() => void> = [];

  /** @param limit - tasks allowed to run at once, an integer ≥ 1 */
  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`limit must be an integer ≥ 1, got ${limit}`);
  }

  /**
   * Runs `task` when a slot is free. An abort of `signal` while the task waits drops it from the
   * queue and rejects with the signal's reason; a task that has started is not interrupted.
   */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.running < this.limit) this.running += 1;
    else await this.waitForSlot(signal);
    try {
      return await task();
    } finally {
      const next = this.queue.shift();
      // The slot passes to the waiter as it is: `running` stays as it was.
      if (next) next();
      else this.running -= 1;
    }
  }

  /** {@link run} as a plain function, for callers that only schedule. */
  readonly schedule: RunLimited = (task) => this.run(task);

  /** Tasks running now. */
  get active(): number {
    return this.running;
  }

  /** Tasks waiting for a slot. */
  get pending(): number {
    return this.queue.length;
  }

  private waitForSlot(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const start = () => {
        signal?.removeEventListener('abort', cancel);
        resolve();
      };
      const cancel = () => {
        const at = this.queue.indexOf(start);
        if (at !== -1) this.queue.splice(at, 1);
        reject(signal?.reason);
      };
      if (signal?.aborted) return cancel();
      signal?.addEventListener('abort', cancel, { once: true });
      this.queue.push(start);
    });
  }
}
