/**
 * A FIFO limiter: at most `limit` tasks run at once (a route's `threadPoolSize`). Queued tasks
 * can be dropped with `clear()` when the agent stops; they never started, so their files stay put.
 */
export class Limiter {
  private running = 0;
  private readonly queue: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new Error(`limit must be a positive integer, got ${limit}`);
  }

  /** Runs `task` when a slot is free; rejects with `signal`'s reason if aborted while queued. */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.running >= this.limit) {
      await new Promise<void>((resolve, reject) => {
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
    this.running++;
    try {
      return await task();
    } finally {
      this.running--;
      this.queue.shift()?.();
    }
  }

  /** Tasks running now. */
  get active(): number {
    return this.running;
  }

  /** Tasks waiting for a slot. */
  get pending(): number {
    return this.queue.length;
  }
}
