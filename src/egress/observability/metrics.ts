import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { ResolvedRule } from '../rules/matching.ts';

/** The original's label set, in its order (behaviour §7.1). */
export const FILE_LABELS = [
  'source_prefix',
  'pipeline_name',
  'destination_prefix',
  'recipient',
  'transfer_type',
] as const;

type FileLabel = (typeof FILE_LABELS)[number];
export type FileLabels = Record<FileLabel, string>;

/** Message outcomes counted by `data_egress_messages_total`. */
export type MessageOutcome = 'deleted' | 'retained' | 'dead_lettered' | 'test_event';

/**
 * The service's Prometheus metrics in their own registry (never prom-client's global default, so
 * several services — or tests — in one process do not collide). Every metric is registered at
 * construction, so both file counters appear in `/metrics` before the first transfer
 * (docs/reference/contracts.md#metrics-at-start).
 */
export class EgressMetrics {
  readonly registry = new Registry();

  /** Same series as the original: `data_egress_files_sent_success_total`. */
  private readonly filesSent = new Counter({
    name: 'data_egress_files_sent_success_total',
    help: 'Count of sent files sent successfully',
    labelNames: FILE_LABELS,
    registers: [this.registry],
  });

  private readonly filesFailed = new Counter({
    name: 'data_egress_files_sent_failure_total',
    help: 'Count of files which failed to send',
    labelNames: FILE_LABELS,
    registers: [this.registry],
  });

  private readonly bytesRead = new Counter({
    name: 'data_egress_source_bytes_total',
    help: 'Bytes read from source objects that were sent successfully',
    labelNames: FILE_LABELS,
    registers: [this.registry],
  });

  private readonly bytesSent = new Counter({
    name: 'data_egress_sent_bytes_total',
    help: 'Bytes written to destinations (after decryption and compression)',
    labelNames: FILE_LABELS,
    registers: [this.registry],
  });

  private readonly transferDuration = new Histogram({
    name: 'data_egress_object_transfer_duration_seconds',
    help: 'Time to transfer one data object, from GET to the destination being complete',
    labelNames: ['transfer_type', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
    registers: [this.registry],
  });

  private readonly messages = new Counter({
    name: 'data_egress_messages_total',
    help: 'SQS messages handled, by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private readonly invalidRules = new Counter({
    name: 'data_egress_invalid_rules_total',
    help: 'Routing items found invalid during table scans (each scan counts them again)',
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry, prefix: 'data_egress_' });
    }
  }

  /** The label values of a rule: the expanded prefixes, the names as stored (behaviour §7.1). */
  static labelsFor(resolved: ResolvedRule): FileLabels {
    return {
      source_prefix: resolved.sourcePrefix,
      pipeline_name: resolved.rule.key.pipelineName,
      destination_prefix: resolved.destinationPrefix,
      recipient: resolved.rule.recipientName,
      transfer_type: resolved.rule.transferType,
    };
  }

  objectSent(labels: FileLabels, sample: { sourceBytes: number; sentBytes: number; seconds: number }): void {
    this.filesSent.inc(labels);
    this.bytesRead.inc(labels, sample.sourceBytes);
    this.bytesSent.inc(labels, sample.sentBytes);
    this.transferDuration.observe(
      { transfer_type: labels.transfer_type, outcome: 'success' },
      sample.seconds,
    );
  }

  objectFailed(labels: FileLabels, seconds: number): void {
    this.filesFailed.inc(labels);
    this.transferDuration.observe({ transfer_type: labels.transfer_type, outcome: 'failure' }, seconds);
  }

  message(outcome: MessageOutcome): void {
    this.messages.inc({ outcome });
  }

  invalidRulesFound(count: number): void {
    if (count > 0) this.invalidRules.inc(count);
  }
}
