import type { DateStamps } from './dates.ts';

/** The date placeholders of the routing items, exactly as the original spells them. */
export const PLACEHOLDERS = {
  todaysDate: '$TODAYS_DATE',
  compactDate: '$TODAYS_YYYYMMDD_FORMATTED_DATE',
  compactDateTime: '$TODAYS_YYYYMMDD_HHMMSS_FORMATTED_DATE',
} as const;

/**
 * `source_prefix`: every `$TODAYS_DATE` → `yyyy-MM-dd`. The two compact placeholders are NOT
 * substituted here (behaviour §2.1) and stay literal, as in the original.
 */
export function expandSourcePrefix(pattern: string, stamps: DateStamps): string {
  return pattern.replaceAll(PLACEHOLDERS.todaysDate, stamps.isoDate);
}

/**
 * `destination_prefix` and `manifest_file_name`: all three placeholders. None of the three names
 * is a substring of another, so the substitution order of the original cannot change the result.
 */
export function expandAllDatePlaceholders(text: string, stamps: DateStamps): string {
  return text
    .replaceAll(PLACEHOLDERS.todaysDate, stamps.isoDate)
    .replaceAll(PLACEHOLDERS.compactDate, stamps.compactDate)
    .replaceAll(PLACEHOLDERS.compactDateTime, stamps.compactDateTime);
}

/**
 * `control_file_prefix`: `$TODAYS_DATE` → `yyyyMMdd` (no dashes — a different rendering from the
 * prefixes, as in the original), but the CALENDAR year where the original used the week year.
 */
export function expandControlFilePrefix(prefix: string, stamps: DateStamps): string {
  return prefix.replaceAll(PLACEHOLDERS.todaysDate, stamps.compactDate);
}
