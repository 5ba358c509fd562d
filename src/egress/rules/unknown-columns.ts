import { distance } from 'fastest-levenshtein';
import { ROUTING_ITEM_COLUMNS } from './schema.ts';

/*
 * Columns of a routing item that the service does not read. The original ignored them silently,
 * so `destination_prefx` meant "no destination prefix" without a word; here each is reported with
 * the column it was probably meant to be.
 */

/** A near miss is at most this many single-character edits away from a known column. */
export const NEAR_MISS_MAX_EDITS = 2;

/** One column the service does not read. */
export interface UnknownColumn {
  readonly column: string;
  /** The known column it is probably a typo of, when one is within {@link NEAR_MISS_MAX_EDITS}. */
  readonly suggestion?: string | undefined;
}

/**
 * The known column nearest to `name` (case-insensitive edit distance), when it is close enough to
 * be a typo. Ties go to the first in `known`'s order; an exact match is not a near miss.
 */
export function nearMiss(
  name: string,
  known: readonly string[] = ROUTING_ITEM_COLUMNS,
  maxEdits = NEAR_MISS_MAX_EDITS,
): string | undefined {
  const lower = name.toLowerCase();
  let best: { column: string; edits: number } | undefined;
  for (const column of known) {
    if (column === name) return undefined;
    const edits = distance(lower, column.toLowerCase());
    if (edits <= maxEdits && (best === undefined || edits < best.edits)) best = { column, edits };
  }
  return best?.column;
}

/**
 * The attributes of an item the service does not read, each with its likely intended column.
 * Names starting with `_` are metadata of files and importers (`_resource`) and are not reported.
 */
export function unknownColumns(
  item: Readonly<Record<string, unknown>>,
  known: readonly string[] = ROUTING_ITEM_COLUMNS,
): UnknownColumn[] {
  const found: UnknownColumn[] = [];
  for (const column of Object.keys(item)) {
    if (column.startsWith('_') || known.includes(column)) continue;
    const suggestion = nearMiss(column, known);
    found.push(suggestion ? { column, suggestion } : { column });
  }
  return found;
}

/** `destination_prefx: not a column the egress service reads; did you mean destination_prefix?` */
export function describeUnknownColumn(unknown: UnknownColumn): string {
  return `${unknown.column}: not a column the egress service reads${
    unknown.suggestion ? `; did you mean ${unknown.suggestion}?` : ' (ignored)'
  }`;
}
