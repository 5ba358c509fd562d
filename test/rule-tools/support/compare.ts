import type { EgressEvents } from '../../../src/egress/observability/events.ts';
import { describeDestination } from '../../../src/egress/plan/locations.ts';
import { describeRuleKey } from '../../../src/egress/rules/rule.ts';
import type { ExpectedDelivery, FlagOutcome } from '../../../src/rule-tools/index.ts';

/*
 * One line per file written, as the service's events report it and as explain plans it, so the two
 * compare as sorted lists: `<kind> <source_prefix|pipeline> <source key> → <where>`.
 */

/** Every egress event name, for collecting them all. */
export const EGRESS_EVENT_NAMES = [
  'message_received',
  'message_processed',
  'message_dead_lettered',
  'flag_unmatched',
  'rule_invalid',
  'object_transferred',
  'object_failed',
  'file_written',
] as const satisfies readonly (keyof EgressEvents)[];

export type EventLog = { [K in keyof EgressEvents]: EgressEvents[K][] };

export function emptyEventLog(): EventLog {
  return Object.fromEntries(EGRESS_EVENT_NAMES.map((name) => [name, []])) as unknown as EventLog;
}

export function plannedWrites(deliveries: readonly ExpectedDelivery[]): string[] {
  return deliveries.map(
    (d) => `${d.kind} ${describeRuleKey(d.rule)} ${d.sourceKey ?? ''} → ${describeDestination(d.written)}`,
  );
}

/** The files the service reports written, for the rules `keep` selects. */
export function reportedWrites(
  events: Pick<EventLog, 'object_transferred' | 'file_written'>,
  keep: (rule: { pipelineName: string }) => boolean = () => true,
): string[] {
  return [
    ...events.object_transferred
      .filter((e) => keep(e.rule))
      .map((e) => `data ${describeRuleKey(e.rule)} ${e.sourceKey} → ${describeDestination(e.destination)}`),
    ...events.file_written
      .filter((e) => keep(e.rule))
      .map((e) => `${e.kind} ${describeRuleKey(e.rule)}  → ${describeDestination(e.destination)}`),
  ];
}

/** The objects explain says fail (refused names), as `<rule> <key>`. */
export function plannedRefusals(outcomes: readonly FlagOutcome[]): string[] {
  return [
    ...new Set(
      outcomes.flatMap((outcome) =>
        outcome.explanation.matches.flatMap((match) =>
          (match.listed ?? [])
            .filter((object) => object.action === 'refuse')
            .map((object) => `${describeRuleKey(match.rule)} ${object.sourceKey}`),
        ),
      ),
    ),
  ];
}

/** The objects the service reports failed, as `<rule> <key>`. */
export function reportedFailures(
  events: Pick<EventLog, 'object_failed'>,
  keep: (rule: { pipelineName: string }) => boolean = () => true,
): string[] {
  return [
    ...new Set(
      events.object_failed
        .filter((e) => keep(e.rule))
        .map((e) => `${describeRuleKey(e.rule)} ${e.sourceKey}`),
    ),
  ];
}
