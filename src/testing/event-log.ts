import type { EgressEventName, EgressEvents, EgressService } from '../egress/index.ts';

/** Every event the service emits; a `Record` so that a new event cannot be left out of the log. */
const EVENT_NAMES: Record<EgressEventName, true> = {
  message_received: true,
  message_processed: true,
  message_dead_lettered: true,
  flag_unmatched: true,
  rule_invalid: true,
  rule_unknown_columns: true,
  object_transferred: true,
  object_failed: true,
  file_written: true,
};

/** The typed events of one egress service, collected in order for assertions and waiting. */
export class EventLog {
  private readonly entries: { [K in EgressEventName]?: EgressEvents[K][] } = {};

  constructor(service: Pick<EgressService, 'on'>) {
    for (const name of Object.keys(EVENT_NAMES) as EgressEventName[]) {
      service.on(name, (payload) => {
        this.entries[name] ??= [];
        (this.entries[name] as unknown[]).push(payload);
      });
    }
  }

  /** The payloads of one event so far, oldest first. */
  of<K extends EgressEventName>(name: K): EgressEvents[K][] {
    return (this.entries[name] ?? []) as EgressEvents[K][];
  }
}
