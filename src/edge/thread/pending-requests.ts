/**
 * Requests sent across the thread boundary and answered later by id: each is settled by its answer,
 * rejected by its deadline, or rejected with the others when the other side goes away. Both ends of
 * the edge thread use it (the main thread asking for the edge's health, the worker asking for the
 * main thread's health components).
 */
export class PendingRequests<T> {
  readonly #waiting = new Map<number, { resolve: (value: T) => void; reject: (error: Error) => void }>();
  #lastId = 0;

  /**
   * @param timeoutMs how long an answer may take before the request is rejected.
   * @param timedOut the error a request that timed out is rejected with.
   */
  constructor(
    private readonly timeoutMs: number,
    private readonly timedOut: (timeoutMs: number) => Error,
  ) {
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
      throw new RangeError(`timeoutMs must be a positive integer of milliseconds (got ${timeoutMs})`);
    }
  }

  /** Sends a request under a fresh id (`send(id)`) and resolves with its answer. */
  ask(send: (id: number) => void): Promise<T> {
    const id = ++this.#lastId;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(this.timedOut(this.timeoutMs));
      }, this.timeoutMs);
      // A request in flight must not keep a stopping process alive.
      timer.unref();
      const settled =
        <V>(then: (value: V) => void) =>
        (value: V) => {
          clearTimeout(timer);
          then(value);
        };
      this.#waiting.set(id, { resolve: settled(resolve), reject: settled(reject) });
      send(id);
    });
  }

  /** Settles request `id` with its answer; an answer that came after the deadline is dropped. */
  settle(id: number, answer: { value: T } | { error: Error }): void {
    const request = this.#waiting.get(id);
    if (!request) return;
    this.#waiting.delete(id);
    if ('value' in answer) request.resolve(answer.value);
    else request.reject(answer.error);
  }

  /** Rejects every request still waiting (the other side stopped or died). */
  rejectAll(error: Error): void {
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const request of waiting) request.reject(error);
  }

  /** How many requests wait for an answer. */
  get size(): number {
    return this.#waiting.size;
  }
}
