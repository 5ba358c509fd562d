/** Test knobs of the stub: make the next calls fail, or slow every call down. */
export interface DksFaults {
  /** The next `n` API calls (not health checks) answer `status` (default 503) instead of working. */
  failNext(n: number, status?: number): void;
  /** Every API call waits this long before being handled; 0 turns it off. */
  setLatency(ms: number): void;
  /** Back to normal. */
  reset(): void;
}

/** Snapshot of the fault state (also served by `GET /faults`). */
export interface DksFaultState {
  failNext: number;
  failStatus: number;
  latencyMs: number;
}

/** Mutable fault state shared by the programmatic knobs, the HTTP knobs and the request path. */
export class FaultState implements DksFaults {
  #failNext = 0;
  #failStatus = 503;
  #latencyMs = 0;

  failNext(n: number, status = 503): void {
    if (!Number.isInteger(n) || n < 0)
      throw new RangeError(`failNext count must be an integer ≥ 0, got ${n}`);
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError(`failNext status must be an HTTP error status 400–599, got ${status}`);
    }
    this.#failNext = n;
    this.#failStatus = status;
  }

  setLatency(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0 || ms > 600_000) {
      throw new RangeError(`latency must be 0–600000 ms, got ${ms}`);
    }
    this.#latencyMs = ms;
  }

  reset(): void {
    this.#failNext = 0;
    this.#failStatus = 503;
    this.#latencyMs = 0;
  }

  get latencyMs(): number {
    return this.#latencyMs;
  }

  /** Consumes one injected failure if any is pending, returning its status. */
  takeFailure(): number | undefined {
    if (this.#failNext === 0) return undefined;
    this.#failNext -= 1;
    return this.#failStatus;
  }

  snapshot(): DksFaultState {
    return { failNext: this.#failNext, failStatus: this.#failStatus, latencyMs: this.#latencyMs };
  }
}
