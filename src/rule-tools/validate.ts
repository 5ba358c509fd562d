import type { DateStamps } from '../egress/plan/dates.ts';
import { expandAllDatePlaceholders } from '../egress/plan/placeholders.ts';
import { resolveSourcePrefix } from '../egress/rules/matching.ts';
import { ROUTING_ITEM_COLUMNS } from '../egress/rules/schema.ts';
import { unknownColumns } from '../egress/rules/unknown-columns.ts';
import { checkItems, describeItem, type RoutingItemRecord } from './items.ts';

/** The columns the egress service reads (behaviour §2.1); anything else is ignored by it. */
export const KNOWN_COLUMNS: readonly string[] = ROUTING_ITEM_COLUMNS;

/** One problem with one column. */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

export interface ItemFinding {
  /** Where the item came from (`routing-items.json[0]`). */
  readonly label: string;
  /** `PIPELINE "source_prefix" [resource]`. */
  readonly rule: string;
  readonly problems: readonly FieldProblem[];
}

export interface ValidationReport {
  readonly total: number;
  readonly valid: number;
  /** Items the service rejects: they take no action. */
  readonly invalid: readonly ItemFinding[];
  /** Items the service accepts but that are probably not what was meant. */
  readonly warnings: readonly ItemFinding[];
}

/** Splits the schema's `field: message; field: message` reason into its problems. */
export function splitReason(reason: string): FieldProblem[] {
  return reason.split(/; (?=[A-Za-z_][\w.]*: )/).map((part) => {
    const colon = part.indexOf(': ');
    return colon < 0
      ? { field: 'item', message: part }
      : { field: part.slice(0, colon), message: part.slice(colon + 2) };
  });
}

function warningsFor(item: Readonly<Record<string, unknown>>, stamps: DateStamps): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const { column, suggestion } of unknownColumns(item)) {
    problems.push({
      field: column,
      message: suggestion
        ? `not a column the egress service reads; did you mean ${suggestion}?`
        : 'not a column the egress service reads (a typo?)',
    });
  }
  const type = typeof item.transfer_type === 'string' ? item.transfer_type.toUpperCase() : '';
  if (type === 'SFT' && typeof item.destination_bucket === 'string' && item.destination_bucket !== '') {
    problems.push({ field: 'destination_bucket', message: 'ignored: the rule is an SFT transfer' });
  }
  if (typeof item.compress_fmt === 'string' && item.compress_fmt.trim() !== '' && item.compress !== true) {
    problems.push({
      field: 'compress_fmt',
      message: 'set but compress is not true: nothing is compressed and no suffix is added',
    });
  }
  if (
    type === 'S3' &&
    typeof item.source_bucket === 'string' &&
    item.source_bucket === item.destination_bucket &&
    typeof item.source_prefix === 'string' &&
    typeof item.destination_prefix === 'string'
  ) {
    const source = resolveSourcePrefix(item.source_prefix, stamps);
    const destination = expandAllDatePlaceholders(item.destination_prefix, stamps).replace(/^\//, '');
    if (destination.startsWith(source)) {
      problems.push({
        field: 'destination_prefix',
        message: `writes under its own source prefix ${JSON.stringify(source)} in the same bucket: every flag would send its own output again`,
      });
    }
  }
  return problems;
}

/**
 * Checks every item with the egress service's own schema (`parseRoutingItem`): an invalid item is
 * reported with the rule's name and each column at fault. Duplicate keys and likely mistakes the
 * service accepts are warnings.
 */
export function validateItems(records: readonly RoutingItemRecord[], stamps: DateStamps): ValidationReport {
  const invalid: ItemFinding[] = [];
  const warnings: ItemFinding[] = [];
  const seen = new Map<string, string>();
  for (const checked of checkItems(records)) {
    const { record } = checked;
    const rule = describeItem(record);
    if (!checked.ok) {
      invalid.push({ label: record.label, rule, problems: splitReason(checked.invalid.reason) });
    }
    const problems = warningsFor(record.item, stamps);
    const key = JSON.stringify([record.item.source_prefix, record.item.pipeline_name]);
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      problems.push({
        field: 'source_prefix+pipeline_name',
        message: `the same key as ${earlier}: a table keeps only one of them`,
      });
    } else seen.set(key, record.label);
    if (problems.length) warnings.push({ label: record.label, rule, problems });
  }
  return { total: records.length, valid: records.length - invalid.length, invalid, warnings };
}
