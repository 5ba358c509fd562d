/**
 * Durations as the original agent's Dropwizard-style configuration writes them: `3600000ms`, `20s`,
 * `5 minutes`, or a bare number, which means milliseconds (the `readLock` and `retryBehaviour`
 * values of the original are bare millisecond numbers).
 */

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  nanosecond: 1e-6,
  nanoseconds: 1e-6,
  us: 1e-3,
  microsecond: 1e-3,
  microseconds: 1e-3,
  ms: 1,
  millisecond: 1,
  milliseconds: 1,
  s: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
};

const PATTERN = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i;

/**
 * Parses a duration into whole milliseconds (sub-millisecond values round up, so `1ns` is not 0).
 * Throws with the accepted forms when the value cannot be read.
 */
export function parseDuration(value: number | string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw new Error(`duration must be a non-negative number of milliseconds, got ${value}`);
    }
    return Math.ceil(value);
  }
  const match = PATTERN.exec(value);
  const unit = match?.[2]?.toLowerCase() || 'ms';
  const factor = UNIT_MS[unit];
  if (!match || factor === undefined) {
    throw new Error(
      `invalid duration "${value}": use a number of milliseconds or <number><unit> with unit ns, us, ms, s, m, h or d (e.g. 20s, 3600000ms)`,
    );
  }
  return Math.ceil(Number(match[1]) * factor);
}
