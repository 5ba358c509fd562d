import { EventEmitter } from 'node:events';
import type { Destination } from '../plan/destinations.ts';
import type { RuleKey, TransferType } from '../rules/rule.ts';

/** What happened to a rule within one message. */
export interface RuleSummary {
  readonly rule: RuleKey;
  readonly transferType: TransferType;
  /** The expanded source prefix that was listed. */
  readonly sourcePrefix: string;
  readonly succeeded: boolean;
  readonly objectsSent: number;
  readonly objectsFailed: number;
  /** Why the rule failed outside its objects (listing, control file, manifest). */
  readonly failure?: string | undefined;
}

/**
 * The service's observable events, for a sandbox trace or dashboard. Payloads carry names, keys
 * and counts — never key material or credentials.
 */
export interface EgressEvents {
  message_received: { messageId: string; correlationId: string; receiveCount: number };
  /** A message was handled: `deleted` (acknowledged) or `retained` (left for redelivery). */
  message_processed: {
    messageId: string;
    correlationId: string;
    action: 'deleted' | 'retained';
    /** `test-event`, `no-flags`, `no-match`, `completed`, `failed`, `stopping`, … */
    reason: string;
    flagKeys: readonly string[];
    rules: readonly RuleSummary[];
    durationMs: number;
  };
  /** A body that can never be processed; `sentToDeadLetterQueue` false when no DLQ is configured. */
  message_dead_lettered: {
    messageId: string;
    correlationId: string;
    reason: string;
    sentToDeadLetterQueue: boolean;
  };
  /** A flag key that no rule matched (the message is still deleted, as in the original). */
  flag_unmatched: { correlationId: string; key: string };
  /** A routing item that failed validation; it takes no action. */
  rule_invalid: { key: { sourcePrefix: unknown; pipelineName: unknown }; reason: string };
  /**
   * A routing item with attributes the service does not read (likely typos, with the near miss);
   * told once per new item content. The item itself still applies.
   */
  rule_unknown_columns: {
    key: { sourcePrefix: unknown; pipelineName: unknown };
    columns: readonly { column: string; suggestion?: string | undefined }[];
  };
  object_transferred: {
    correlationId: string;
    rule: RuleKey;
    sourceBucket: string;
    sourceKey: string;
    destination: Destination;
    sourceBytes: number;
    sentBytes: number;
    durationMs: number;
  };
  object_failed: {
    correlationId: string;
    rule: RuleKey;
    sourceBucket: string;
    sourceKey: string;
    destination?: Destination | undefined;
    reason: string;
  };
  /** A control file or manifest was written. */
  file_written: {
    correlationId: string;
    rule: RuleKey;
    kind: 'control' | 'manifest';
    destination: Destination;
    entries: number;
  };
}

export type EgressEventName = keyof EgressEvents;
export type EgressEventListener<K extends EgressEventName> = (payload: EgressEvents[K]) => void;

/**
 * A typed emitter. A listener that throws is isolated (logged by the caller's `onListenerError`),
 * so a faulty dashboard cannot fail a transfer.
 */
export class EgressEventBus {
  private readonly emitter = new EventEmitter();

  constructor(private readonly onListenerError: (event: string, error: unknown) => void = () => {}) {
    this.emitter.setMaxListeners(100);
  }

  /** Subscribes; returns a function that unsubscribes. */
  on<K extends EgressEventName>(event: K, listener: EgressEventListener<K>): () => void {
    const guarded = (payload: EgressEvents[K]) => {
      try {
        listener(payload);
      } catch (error) {
        this.onListenerError(event, error);
      }
    };
    this.emitter.on(event, guarded);
    return () => this.emitter.off(event, guarded);
  }

  emit<K extends EgressEventName>(event: K, payload: EgressEvents[K]): void {
    this.emitter.emit(event, payload);
  }
}
