import type { QueueConfiguration } from './configuration.ts';

/**
 * True when `eventName` (e.g. `ObjectCreated:Put`) is selected by one of the configuration's
 * patterns (`s3:ObjectCreated:*` or the exact `s3:ObjectCreated:Put`).
 */
export function eventSelected(patterns: readonly string[], eventName: string): boolean {
  const full = `s3:${eventName}`;
  return patterns.some((pattern) =>
    pattern.endsWith(':*') ? full.startsWith(pattern.slice(0, -1)) : pattern === full,
  );
}

/** Prefix and suffix filters compare the object key as stored (decoded), case-sensitively. */
export function keySelected(
  configuration: Pick<QueueConfiguration, 'prefix' | 'suffix'>,
  key: string,
): boolean {
  if (configuration.prefix !== undefined && !key.startsWith(configuration.prefix)) return false;
  if (configuration.suffix !== undefined && !key.endsWith(configuration.suffix)) return false;
  return true;
}

/** The configurations of a bucket that want this event for this key. */
export function selectConfigurations(
  configurations: readonly QueueConfiguration[],
  eventName: string,
  key: string,
): QueueConfiguration[] {
  return configurations.filter((c) => eventSelected(c.events, eventName) && keySelected(c, key));
}
