import type { EdgeHandle } from '../edge/edge-handle.ts';
import { type Destination, describeDestination, type EgressService, s3Url } from '../egress/index.ts';
import type { Demonstrations } from './demonstrations.ts';
import type { SandboxTrace } from './trace.ts';

function where(destination: Destination | undefined): string {
  return destination ? describeDestination(destination) : '(no destination)';
}

function ruleName(rule: { sourcePrefix: string; pipelineName: string }): string {
  return `${rule.pipelineName} (${rule.sourcePrefix})`;
}

/** S3 event notifications as the edge delivers them. */
export function traceEdge(edge: EdgeHandle, trace: SandboxTrace): void {
  edge.onNotification((record) =>
    trace.add({
      stage: 'event',
      text: record.delivered
        ? `S3 event ${record.eventName} for ${s3Url(record.bucket, record.key)} → ${record.queueArn.split(':').pop()}`
        : `S3 event for ${s3Url(record.bucket, record.key)} could not be delivered: ${record.error}`,
      details: { ...record },
      failure: !record.delivered,
    }),
  );
}

/** The egress service's own events, told as sentences. */
export function traceEgress(
  service: EgressService,
  trace: SandboxTrace,
  demonstrations?: Demonstrations,
): void {
  service.on('message_processed', (event) => {
    if (event.reason === 'test-event') return;
    const rules = event.rules.map(
      (r) =>
        `${ruleName(r.rule)}: ${r.objectsSent} sent${r.objectsFailed ? `, ${r.objectsFailed} failed` : ''}`,
    );
    trace.add({
      stage: 'message',
      text:
        `message for ${event.flagKeys.join(', ') || '(no flag)'} ${event.action} (${event.reason}) in ${Math.round(event.durationMs)} ms` +
        (rules.length ? ` — ${rules.join('; ')}` : ''),
      details: { ...event },
      failure: event.action === 'retained',
    });
  });
  service.on('flag_unmatched', (event) =>
    trace.add({
      stage: 'rule',
      text: `no routing rule matches ${event.key}`,
      details: { ...event },
      failure: true,
    }),
  );
  // The service reports an invalid item at every scan (every message); the story tells it once per
  // item and reason, and an item invalid on purpose (the demo's) as a demonstration, not a failure.
  const told = new Set<string>();
  service.on('rule_invalid', (event) => {
    const key = JSON.stringify([event.key.sourcePrefix, event.key.pipelineName, event.reason]);
    if (told.has(key)) return;
    told.add(key);
    const name = `${String(event.key.pipelineName)} (${String(event.key.sourcePrefix)})`;
    const demonstration = demonstrations?.noteFor(event.key);
    trace.add(
      demonstration
        ? {
            stage: 'rule',
            text: `demonstration: routing rule ${name} is invalid and ignored, as intended — ${demonstration}: ${event.reason}`,
            details: { ...event, demonstration },
          }
        : {
            stage: 'rule',
            text: `invalid routing rule ${name} ignored: ${event.reason}`,
            details: { ...event },
            failure: true,
          },
    );
  });
  service.on('rule_unknown_columns', (event) =>
    trace.add({
      stage: 'rule',
      text: `routing rule ${String(event.key.pipelineName)} (${String(event.key.sourcePrefix)}) has attributes the service does not read: ${event.columns
        .map((c) => (c.suggestion ? `${c.column} (did you mean ${c.suggestion}?)` : c.column))
        .join(', ')}`,
      details: { ...event },
    }),
  );
  service.on('object_transferred', (event) =>
    trace.add({
      stage: 'transfer',
      text: `${ruleName(event.rule)}: ${s3Url(event.sourceBucket, event.sourceKey)} → ${where(event.destination)} (${event.sentBytes} bytes, ${Math.round(event.durationMs)} ms)`,
      details: { ...event },
    }),
  );
  service.on('object_failed', (event) =>
    trace.add({
      stage: 'transfer',
      text: `${ruleName(event.rule)}: ${s3Url(event.sourceBucket, event.sourceKey)} failed: ${event.reason}`,
      details: { ...event },
      failure: true,
    }),
  );
  service.on('file_written', (event) =>
    trace.add({
      stage: 'transfer',
      text: `${ruleName(event.rule)}: ${event.kind} file ${where(event.destination)} (${event.entries} entries)`,
      details: { ...event },
    }),
  );
  service.on('message_dead_lettered', (event) =>
    trace.add({
      stage: 'dead-letter',
      text: `message ${event.messageId} ${event.sentToDeadLetterQueue ? 'sent to the dead-letter queue' : 'left for the redrive policy'}: ${event.reason}`,
      details: { ...event },
      failure: true,
    }),
  );
}
