import type { EgressRule, InvalidRule } from './rule.ts';
import { parseRoutingItem, type RoutingItemResult } from './schema.ts';
import { type UnknownColumn, unknownColumns } from './unknown-columns.ts';

/** An item carrying attributes the service does not read (probably typos), seen for the first time. */
export interface ItemWithUnknownColumns {
  readonly key: { readonly sourcePrefix: unknown; readonly pipelineName: unknown };
  readonly columns: readonly UnknownColumn[];
}

/**
 * The content of a document-form item as a string: equal for equal items, different otherwise
 * (sets and big integers, which JSON cannot express, are tagged).
 */
function fingerprint(item: unknown): string {
  return JSON.stringify(item, (_key, value: unknown) => {
    if (value instanceof Set) return { $set: [...value] };
    if (typeof value === 'bigint') return { $bigint: String(value) };
    return value;
  });
}

/**
 * Validates routing items, remembering each item's result by its content: a scan per message
 * returns the same items again and again, and validating them is most of a rule lookup's CPU
 * (schema.ts). An edited item has new content, so it is validated afresh; only the items of the
 * latest scan are remembered. Results are shared between messages and must not be modified.
 */
export class RoutingItemValidator {
  private remembered = new Map<string, RoutingItemResult>();

  /**
   * Validates a scan's items. `unknownColumns` lists the items, new since the previous scan (or
   * changed), that carry attributes the service does not read: a typo such as
   * `destination_prefx` is reported once when the service first reads it, not on every message.
   */
  parse(items: readonly unknown[]): {
    rules: EgressRule[];
    invalid: InvalidRule[];
    unknownColumns: ItemWithUnknownColumns[];
  } {
    const current = new Map<string, RoutingItemResult>();
    const rules: EgressRule[] = [];
    const invalid: InvalidRule[] = [];
    const unknown: ItemWithUnknownColumns[] = [];
    for (const item of items) {
      let key: string | undefined;
      try {
        key = fingerprint(item);
      } catch {
        key = undefined; // not serialisable: validate it every time
      }
      let result = key === undefined ? undefined : (current.get(key) ?? this.remembered.get(key));
      if (result === undefined) {
        result = parseRoutingItem(item);
        const record = typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : {};
        const columns = unknownColumns(record);
        if (columns.length > 0) {
          unknown.push({
            key: { sourcePrefix: record.source_prefix, pipelineName: record.pipeline_name },
            columns,
          });
        }
      }
      if (key !== undefined) current.set(key, result);
      if (result.ok) rules.push(result.rule);
      else invalid.push(result.invalid);
    }
    this.remembered = current;
    return { rules, invalid, unknownColumns: unknown };
  }
}
