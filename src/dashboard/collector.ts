import { describeDestination, type EgressService, type RuleKey, s3Url } from '../egress/index.ts';

/*
 * What the dashboard remembers of the egress service's events: recent messages with the rules
 * they matched and their outcome, and every delivery. Bounded, in memory, no I/O.
 */

export interface MessageRecord {
  readonly at: string;
  readonly messageId: string;
  readonly flagKeys: readonly string[];
  /** `deleted` (done), `retained` (will be retried), `dead-lettered`. */
  readonly outcome: 'deleted' | 'retained' | 'dead-lettered';
  readonly reason: string;
  readonly rules: readonly {
    readonly pipeline: string;
    readonly sourcePrefix: string;
    readonly transferType: string;
    readonly sent: number;
    readonly failed: number;
    readonly succeeded: boolean;
    readonly failure?: string | undefined;
  }[];
  readonly durationMs?: number | undefined;
}

export interface DeliveryRecord {
  readonly at: string;
  readonly rule: RuleKey;
  readonly transferType: 'S3' | 'SFT';
  readonly source: string;
  /** `s3://bucket/key`, or the SFT path as configured (`/data-egress/sas/x.csv`). */
  readonly destination: string;
  readonly bytes: number;
}

export class DashboardCollector {
  private readonly messageLog: MessageRecord[] = [];
  private readonly deliveryLog: DeliveryRecord[] = [];

  constructor(private readonly limit = 200) {}

  /** Subscribes to the service's events; returns the function that unsubscribes. */
  attach(egress: Pick<EgressService, 'on'>): () => void {
    const stops = [
      egress.on('message_processed', (event) => {
        if (event.reason === 'test-event') return;
        this.push(this.messageLog, {
          at: new Date().toISOString(),
          messageId: event.messageId,
          flagKeys: event.flagKeys,
          outcome: event.action,
          reason: event.reason,
          rules: event.rules.map((summary) => ({
            pipeline: summary.rule.pipelineName,
            sourcePrefix: summary.rule.sourcePrefix,
            transferType: summary.transferType,
            sent: summary.objectsSent,
            failed: summary.objectsFailed,
            succeeded: summary.succeeded,
            failure: summary.failure,
          })),
          durationMs: Math.round(event.durationMs),
        });
      }),
      egress.on('message_dead_lettered', (event) =>
        this.push(this.messageLog, {
          at: new Date().toISOString(),
          messageId: event.messageId,
          flagKeys: [],
          outcome: 'dead-lettered',
          reason: event.reason,
          rules: [],
        }),
      ),
      egress.on('object_transferred', (event) =>
        this.push(this.deliveryLog, {
          at: new Date().toISOString(),
          rule: event.rule,
          transferType: event.destination.transferType,
          source: s3Url(event.sourceBucket, event.sourceKey),
          destination: describeDestination(event.destination),
          bytes: event.sentBytes,
        }),
      ),
    ];
    return () => {
      for (const stop of stops) stop();
    };
  }

  private push<T>(log: T[], record: T): void {
    log.push(record);
    if (log.length > this.limit) log.shift();
  }

  /** Newest first. */
  messages(): MessageRecord[] {
    return [...this.messageLog].reverse();
  }

  /** Oldest first. */
  deliveries(): readonly DeliveryRecord[] {
    return this.deliveryLog;
  }
}

export interface RecipientDeliveries {
  readonly recipient: string;
  readonly deliveries: number;
  readonly bytes: number;
  /** The most recent, newest first. */
  readonly recent: readonly (DeliveryRecord & { readonly pipeline: string })[];
}

/** Deliveries grouped by recipient (the rule's `recipient_name`), busiest first. */
export function deliveriesByRecipient(
  deliveries: readonly DeliveryRecord[],
  recipientOf: (rule: RuleKey) => string | undefined,
  recentPerRecipient = 10,
): RecipientDeliveries[] {
  const groups = new Map<string, (DeliveryRecord & { pipeline: string })[]>();
  for (const delivery of deliveries) {
    const recipient = recipientOf(delivery.rule) || `(${delivery.rule.pipelineName})`;
    const group = groups.get(recipient) ?? [];
    group.push({ ...delivery, pipeline: delivery.rule.pipelineName });
    groups.set(recipient, group);
  }
  return [...groups.entries()]
    .map(([recipient, group]) => ({
      recipient,
      deliveries: group.length,
      bytes: group.reduce((sum, d) => sum + d.bytes, 0),
      recent: group.slice(-recentPerRecipient).reverse(),
    }))
    .sort((a, b) => b.deliveries - a.deliveries || a.recipient.localeCompare(b.recipient));
}
