interface Flight<V> {
  promise: Promise<V>;
  controller: AbortController;
  waiters: number;
}

/**
 * Collapses concurrent identical requests into one: a hundred objects sharing a data key cause
 * one DKS call, not a hundred. The shared work gets its own AbortSignal, aborted only when every
 * caller waiting on it has given up, so one caller's abort never fails the others.
 */
export class SingleFlight<K, V> {
  readonly #flights = new Map<K, Flight<V>>();

  /** Number of distinct requests currently in flight. */
  get size(): number {
    return this.#flights.size;
  }

  run(key: K, work: (signal: AbortSignal) => Promise<V>, signal?: AbortSignal): Promise<V> {
    signal?.throwIfAborted();
    let flight = this.#flights.get(key);
    if (!flight) {
      const controller = new AbortController();
      const created: Flight<V> = {
        controller,
        waiters: 0,
        promise: work(controller.signal).finally(() => {
          if (this.#flights.get(key) === created) this.#flights.delete(key);
        }),
      };
      this.#flights.set(key, created);
      flight = created;
    }
    return this.#join(key, flight, signal);
  }

  #join(key: K, flight: Flight<V>, signal: AbortSignal | undefined): Promise<V> {
    flight.waiters += 1;
    return new Promise<V>((resolve, reject) => {
      let settled = false;
      const leave = (): void => {
        flight.waiters -= 1;
      };
      const onAbort = (): void => {
        if (settled) return;
        settled = true;
        leave();
        if (flight.waiters === 0) {
          // Nobody wants the result any more: stop the work and let the next caller start afresh.
          if (this.#flights.get(key) === flight) this.#flights.delete(key);
          flight.controller.abort(signal?.reason);
        }
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      flight.promise.then(
        (value) => {
          if (settled) return;
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          leave();
          resolve(value);
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          leave();
          reject(error);
        },
      );
    });
  }
}
