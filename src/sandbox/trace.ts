import { EventEmitter } from 'node:events';

/**
 * One line of the sandbox's story, for humans (CLI trace, dashboard): what happened, to which
 * object, and where it went. Components' own events are translated into these.
 */
export interface TraceEntry {
  at: Date;
  /** The stage of the pipeline. */
  stage: 'upload' | 'event' | 'message' | 'rule' | 'transfer' | 'sft' | 'nifi' | 'dead-letter' | 'error';
  /** One readable sentence. */
  text: string;
  /** Structured details (bucket, key, rule, bytes…). */
  details?: Record<string, unknown>;
  /** True for failures, so a reader's eye goes there. */
  failure?: boolean;
}

/** The sandbox's trace: an event emitter plus a bounded history for late subscribers. */
export class SandboxTrace extends EventEmitter<{ entry: [TraceEntry] }> {
  private readonly history: TraceEntry[] = [];

  constructor(private readonly limit = 500) {
    super();
  }

  add(entry: Omit<TraceEntry, 'at'>): void {
    const full = { at: new Date(), ...entry };
    this.history.push(full);
    if (this.history.length > this.limit) this.history.shift();
    this.emit('entry', full);
  }

  recent(): readonly TraceEntry[] {
    return this.history;
  }
}
