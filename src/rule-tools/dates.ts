import { type DateStamps, dateStamps } from '../egress/plan/dates.ts';

/** A `--date` that is not a real `YYYY-MM-DD` day. */
export class InvalidDateError extends Error {
  override readonly name = 'InvalidDateError';
}

/**
 * The processing day of a dry run. With `date` (`YYYY-MM-DD`) that day at 00:00:00, so the
 * `$TODAYS_YYYYMMDD_HHMMSS_FORMATTED_DATE` stamp reads `<yyyyMMdd>_000000`; without it, `now` in
 * `timeZone` — exactly the stamps the service takes once per message.
 */
export function processingDay(
  date: string | undefined,
  timeZone: string,
  now: Date = new Date(),
): DateStamps {
  if (date === undefined) return dateStamps(now, timeZone);
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const parsed = match
    ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])))
    : undefined;
  if (!parsed || parsed.toISOString().slice(0, 10) !== date) {
    throw new InvalidDateError(`--date ${date} is not a day in the form YYYY-MM-DD`);
  }
  return dateStamps(parsed, 'UTC');
}
