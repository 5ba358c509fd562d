import type { EgressRule, InvalidRule } from '../egress/rules/rule.ts';
import { parseRoutingItem } from '../egress/rules/schema.ts';

/**
 * One routing item as read from the table or a file, before validation. `label` says where it
 * came from (`routing-items.json[12]`, `table data-egress`), `resource` is the Terraform resource
 * name when the file carries one (`_resource`).
 */
export interface RoutingItemRecord {
  readonly item: Readonly<Record<string, unknown>>;
  readonly label: string;
  readonly resource?: string | undefined;
}

/** An item after the service's own validation (`parseRoutingItem`). */
export type CheckedItem =
  | { readonly ok: true; readonly record: RoutingItemRecord; readonly rule: EgressRule }
  | { readonly ok: false; readonly record: RoutingItemRecord; readonly invalid: InvalidRule };

/** Validates every item with the egress service's schema, keeping the input order. */
export function checkItems(records: readonly RoutingItemRecord[]): CheckedItem[] {
  return records.map((record) => {
    const result = parseRoutingItem(record.item);
    return result.ok
      ? { ok: true, record, rule: result.rule }
      : { ok: false, record, invalid: result.invalid };
  });
}

/** `PIPELINE (source_prefix)`, plus the Terraform resource when known: how rules are named to humans. */
export function describeItem(record: RoutingItemRecord): string {
  const pipeline = record.item.pipeline_name;
  const prefix = record.item.source_prefix;
  const name = typeof pipeline === 'string' ? pipeline : `<pipeline_name ${JSON.stringify(pipeline)}>`;
  const from =
    typeof prefix === 'string' ? JSON.stringify(prefix) : `<source_prefix ${JSON.stringify(prefix)}>`;
  return `${name} ${from}${record.resource ? ` [${record.resource}]` : ''}`;
}

/** Wraps plain items (e.g. a parsed JSON array) as records labelled `<origin>[i]`. */
export function recordsFromItems(items: readonly unknown[], origin: string): RoutingItemRecord[] {
  return items.map((item, index) => {
    const record = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    return {
      item: record,
      label: `${origin}[${index}]`,
      resource: typeof record._resource === 'string' ? record._resource : undefined,
    };
  });
}
