import type { EgressService } from '../../src/egress/index.ts';
import type { Destination } from '../../src/egress/plan/destinations.ts';
import { describeRuleKey } from '../../src/egress/rules/rule.ts';
import { logSize, readLogChunk } from './targets/logs.ts';

/**
 * What the egress service did, as the scenarios observe it — the same on every target. In-process
 * targets read the service's own events; an external stack is read from its log file (the JSON lines
 * the service writes anyway), so a scenario proves an outcome without sleeping.
 */
export type PipelineEvent =
  | {
      type: 'message';
      messageId: string;
      /** `deleted` (acknowledged) or `retained` (left for redelivery). */
      action: 'deleted' | 'retained';
      /** `completed`, `no-match`, `failed`, `dead-lettered`, … */
      reason: string;
      /** The (URL-decoded) flag keys of the message. */
      flagKeys: string[];
    }
  | { type: 'unmatched'; messageId: string; key: string }
  | { type: 'invalid-rule'; sourcePrefix: unknown; pipelineName: unknown; reason: string }
  | { type: 'object-failed'; messageId: string; key: string; reason: string }
  /**
   * A file the service wrote: a data object (`key` is its source key), a control file or a
   * manifest. `rule` is `source_prefix|pipeline_name`.
   */
  | {
      type: 'transferred';
      messageId: string;
      rule: string;
      kind: 'data' | 'control' | 'manifest';
      key?: string;
      destination: Destination;
    }
  | { type: 'dead-lettered'; messageId: string; reason: string };

/** A numbered stream of pipeline events; `mark()` is a position, `since(mark)` what came after it. */
export interface PipelineEvents {
  mark(): Promise<number>;
  since(mark: number): Promise<PipelineEvent[]>;
  close(): void;
}

/** Keeps the newest events only: a 1,500-object scenario must not make the history grow without bound. */
const MAX_EVENTS = 20_000;

class EventHistory {
  private readonly events: { seq: number; event: PipelineEvent }[] = [];
  private next = 0;

  push(event: PipelineEvent): void {
    this.events.push({ seq: this.next++, event });
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
  }

  get position(): number {
    return this.next;
  }

  since(mark: number): PipelineEvent[] {
    return this.events.filter((entry) => entry.seq >= mark).map((entry) => entry.event);
  }
}

/** Events of an egress service running in this process (embedded and LocalStack targets). */
export function serviceEvents(service: EgressService): PipelineEvents {
  const history = new EventHistory();
  const unsubscribe = [
    service.on('message_processed', (e) => {
      if (e.reason === 'test-event') return;
      history.push({
        type: 'message',
        messageId: e.messageId,
        action: e.action,
        reason: e.reason,
        flagKeys: [...e.flagKeys],
      });
    }),
    service.on('flag_unmatched', (e) =>
      history.push({ type: 'unmatched', messageId: e.correlationId, key: e.key }),
    ),
    service.on('rule_invalid', (e) =>
      history.push({
        type: 'invalid-rule',
        sourcePrefix: e.key.sourcePrefix,
        pipelineName: e.key.pipelineName,
        reason: e.reason,
      }),
    ),
    service.on('object_failed', (e) =>
      history.push({ type: 'object-failed', messageId: e.correlationId, key: e.sourceKey, reason: e.reason }),
    ),
    service.on('object_transferred', (e) =>
      history.push({
        type: 'transferred',
        messageId: e.correlationId,
        rule: describeRuleKey(e.rule),
        kind: 'data',
        key: e.sourceKey,
        destination: e.destination,
      }),
    ),
    service.on('file_written', (e) =>
      history.push({
        type: 'transferred',
        messageId: e.correlationId,
        rule: describeRuleKey(e.rule),
        kind: e.kind,
        destination: e.destination,
      }),
    ),
    service.on('message_dead_lettered', (e) =>
      history.push({ type: 'dead-lettered', messageId: e.messageId, reason: e.reason }),
    ),
  ];
  return {
    mark: async () => history.position,
    since: async (mark) => history.since(mark),
    close: () => {
      for (const off of unsubscribe) off();
    },
  };
}

/**
 * The log messages of the egress service that the log reader understands. They are the service's
 * own words (src/egress); test/bdd/pipeline-events.test.ts checks that it still uses them.
 */
export const LOG_MESSAGES = {
  matched: 'egressing matched rules',
  unmatched: 'no routing rule matches flag',
  invalidRule: 'invalid routing item ignored',
  objectFailed: 'failed to egress object',
  objectTransferred: 'object egressed',
  deadLettered: 'message sent to the dead-letter queue',
  deleted: 'message deleted',
  retained: 'message left for retry: not every object succeeded',
} as const;

interface LogLine {
  msg?: string;
  component?: string;
  correlationId?: string;
  messageId?: string;
  key?: string;
  flags?: string[];
  reason?: string;
  sourcePrefix?: unknown;
  pipelineName?: unknown;
  rule?: string;
  kind?: 'control' | 'manifest';
  destination?: Destination;
}

/** The line the service logs for a control file or manifest it wrote (`${kind} file written`). */
const COMPLETION_FILE_WRITTEN = / file written$/;

/**
 * Events reconstructed from the service's JSON log lines (an external stack whose log file is
 * readable here: `logs` in sandbox.json). The message lines name the message id; the flag keys come
 * from the lines of the same message that name them.
 */
export function logEvents(file: string | undefined): PipelineEvents {
  const history = new EventHistory();
  const flagsOf = new Map<string, string[]>();
  let offset: number | undefined;
  let partial = Buffer.alloc(0);

  const interpret = (line: LogLine): void => {
    const id = line.correlationId ?? line.messageId ?? '';
    switch (line.msg) {
      case LOG_MESSAGES.matched:
        if (line.flags) flagsOf.set(id, line.flags);
        return;
      case LOG_MESSAGES.unmatched:
        if (line.key) {
          flagsOf.set(id, [...(flagsOf.get(id) ?? []), line.key]);
          history.push({ type: 'unmatched', messageId: id, key: line.key });
        }
        return;
      case LOG_MESSAGES.invalidRule:
        history.push({
          type: 'invalid-rule',
          sourcePrefix: line.sourcePrefix,
          pipelineName: line.pipelineName,
          reason: line.reason ?? '',
        });
        return;
      case LOG_MESSAGES.objectFailed:
        history.push({
          type: 'object-failed',
          messageId: id,
          key: line.key ?? '',
          reason: line.reason ?? '',
        });
        return;
      case LOG_MESSAGES.objectTransferred:
        if (line.rule && line.key !== undefined && line.destination) {
          history.push({
            type: 'transferred',
            messageId: id,
            rule: line.rule,
            kind: 'data',
            key: line.key,
            destination: line.destination,
          });
        }
        return;
      case LOG_MESSAGES.deadLettered:
        history.push({ type: 'dead-lettered', messageId: id, reason: line.reason ?? '' });
        return;
      case LOG_MESSAGES.deleted:
        if (line.reason === 'test-event') return;
        history.push({
          type: 'message',
          messageId: id,
          action: 'deleted',
          reason: line.reason ?? '',
          flagKeys: flagsOf.get(id) ?? [],
        });
        return;
      case LOG_MESSAGES.retained:
        history.push({
          type: 'message',
          messageId: id,
          action: 'retained',
          reason: 'failed',
          flagKeys: flagsOf.get(id) ?? [],
        });
        return;
      default:
        if (
          line.msg &&
          COMPLETION_FILE_WRITTEN.test(line.msg) &&
          line.rule &&
          line.destination &&
          (line.kind === 'control' || line.kind === 'manifest')
        ) {
          history.push({
            type: 'transferred',
            messageId: id,
            rule: line.rule,
            kind: line.kind,
            destination: line.destination,
          });
        }
        return;
    }
  };

  const refresh = async (): Promise<void> => {
    if (!file) return;
    // Events are what happens from the moment a scenario looks: start at the current end of the log.
    if (offset === undefined) {
      offset = await logSize(file);
      return;
    }
    for (;;) {
      const { bytes, next } = await readLogChunk(file, offset);
      if (next < offset) partial = Buffer.alloc(0); // the log was truncated or replaced
      offset = next;
      if (bytes.length === 0) return;
      let text = Buffer.concat([partial, bytes]);
      let newline = text.indexOf(10);
      while (newline >= 0) {
        const raw = text.subarray(0, newline).toString('utf8');
        text = text.subarray(newline + 1);
        newline = text.indexOf(10);
        if (!raw.startsWith('{')) continue;
        try {
          interpret(JSON.parse(raw) as LogLine);
        } catch {
          // Not one of the service's JSON lines.
        }
      }
      partial = Buffer.from(text);
    }
  };

  const requireLogs = (): void => {
    if (!file) {
      throw new Error(
        'this step observes the egress service, but the external stack’s sandbox.json names no readable `logs` file',
      );
    }
  };

  return {
    mark: async () => {
      requireLogs();
      await refresh();
      return history.position;
    },
    since: async (mark) => {
      requireLogs();
      await refresh();
      return history.since(mark);
    },
    close: () => {},
  };
}
