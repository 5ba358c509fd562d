import type { EgressService } from '../egress/index.ts';

/*
 * What the dashboard remembers per rule and per failed message, from the egress service's events:
 * when each rule last matched a flag (and how that went), and why a message failed — the reason a
 * message that ends in the dead-letter queue is there. Bounded, in memory, no I/O.
 */

/** The last time a rule matched a flag. */
export interface LastMatch {
  readonly at: string;
  readonly messageId: string;
  readonly flagKeys: readonly string[];
  readonly sent: number;
  readonly failed: number;
  readonly succeeded: boolean;
  readonly failure?: string | undefined;
}

/** Why a message failed, the last time it did. */
export interface MessageFailure {
  readonly at: string;
  readonly reason: string;
  /** How many times the service saw it fail (each receive that was left for a retry). */
  readonly attempts: number;
}

function ruleKey(key: { sourcePrefix: unknown; pipelineName: unknown }): string {
  return JSON.stringify([key.sourcePrefix, key.pipelineName]);
}

export class RuleActivity {
  private readonly matches = new Map<string, LastMatch>();
  private readonly failures = new Map<string, MessageFailure>();
  /** Object failures of messages being processed, by message id, until the message is done. */
  private readonly objectFailures = new Map<string, string[]>();

  constructor(private readonly maxMessages = 1_000) {}

  /** Subscribes to the service's events; returns the function that unsubscribes. */
  attach(egress: Pick<EgressService, 'on'>): () => void {
    const stops = [
      egress.on('object_failed', (event) => {
        const reasons = this.objectFailures.get(event.correlationId) ?? [];
        if (reasons.length < 3) reasons.push(`${event.sourceKey}: ${event.reason}`);
        this.objectFailures.set(event.correlationId, reasons);
      }),
      egress.on('message_processed', (event) => {
        const at = new Date().toISOString();
        const objectReasons = this.objectFailures.get(event.correlationId) ?? [];
        this.objectFailures.delete(event.correlationId);
        for (const summary of event.rules) {
          this.matches.set(ruleKey(summary.rule), {
            at,
            messageId: event.messageId,
            flagKeys: event.flagKeys,
            sent: summary.objectsSent,
            failed: summary.objectsFailed,
            succeeded: summary.succeeded,
            failure: summary.failure,
          });
        }
        if (event.action === 'retained' && event.reason !== 'stopping') {
          const failed = event.rules.filter((summary) => !summary.succeeded);
          const reason = failed.length
            ? failed
                .map(
                  (summary) =>
                    `${summary.rule.pipelineName} (${summary.rule.sourcePrefix}): ${
                      summary.failure ?? `${summary.objectsFailed} objects failed`
                    }${objectReasons.length ? ` — ${objectReasons.join('; ')}` : ''}`,
                )
                .join('; ')
            : event.reason;
          this.fail(event.messageId, at, reason);
        }
      }),
      egress.on('message_dead_lettered', (event) =>
        this.fail(event.messageId, new Date().toISOString(), event.reason),
      ),
    ];
    return () => {
      for (const stop of stops) stop();
    };
  }

  private fail(messageId: string, at: string, reason: string): void {
    const attempts = (this.failures.get(messageId)?.attempts ?? 0) + 1;
    this.failures.delete(messageId); // re-inserted last: the oldest are forgotten first
    this.failures.set(messageId, { at, reason, attempts });
    if (this.failures.size > this.maxMessages) {
      this.failures.delete(this.failures.keys().next().value!);
    }
  }

  lastMatch(key: { sourcePrefix: unknown; pipelineName: unknown }): LastMatch | undefined {
    return this.matches.get(ruleKey(key));
  }

  failure(messageId: string): MessageFailure | undefined {
    return this.failures.get(messageId);
  }
}
