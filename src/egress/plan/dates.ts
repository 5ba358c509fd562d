/**
 * The three date renderings the routing rules use, all taken from ONE instant per message.
 * The original computed "now" separately for each placeholder, so the HHmmss stamp could disagree
 * with the date within one run (behaviour §10.12); here a message gets one {@link DateStamps}.
 */
export interface DateStamps {
  /** `yyyy-MM-dd`: `$TODAYS_DATE` in source/destination prefixes and manifest names, manifest lines. */
  readonly isoDate: string;
  /** `yyyyMMdd` (calendar year): `$TODAYS_YYYYMMDD_FORMATTED_DATE`, control-file dates, timestamped names. */
  readonly compactDate: string;
  /** `yyyyMMdd_HHmmss` (24-hour clock): `$TODAYS_YYYYMMDD_HHMMSS_FORMATTED_DATE`. */
  readonly compactDateTime: string;
}

/** The default zone: the process's `TZ` when set, else UTC (the original ran in a UTC container). */
export function defaultTimeZone(env: NodeJS.ProcessEnv = process.env): string {
  return env.TZ || 'UTC';
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    // `year: 'numeric'` is the calendar year. The original's Java pattern `YYYY` was the week-based
    // year, which put 29–31 December into next year (behaviour §10.11); Intl has no week-year field at all.
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/**
 * True when `timeZone` is an IANA zone name (or `UTC`) this runtime knows.
 * Config validation uses it so a typo fails at start-up, not at the first message.
 */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Renders `now` in `timeZone` as the three stamps. Pure: the caller owns the clock. */
export function dateStamps(now: Date, timeZone: string): DateStamps {
  const parts: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(now)) parts[part.type] = part.value;
  const year = (parts.year ?? '').padStart(4, '0');
  const date = `${year}${parts.month}${parts.day}`;
  return {
    isoDate: `${year}-${parts.month}-${parts.day}`,
    compactDate: date,
    compactDateTime: `${date}_${parts.hour}${parts.minute}${parts.second}`,
  };
}
