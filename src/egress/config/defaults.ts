/**
 * The egress service's default settings, each value written once: the configuration schema
 * applies them, and the settings table shows them in `egress service --help`.
 */
export const SERVICE_DEFAULTS = {
  table: 'data-egress',
  messagesInFlight: 4,
  batchSize: 1,
  objectConcurrency: 8,
  visibilityTimeoutSeconds: 120,
  heartbeatIntervalSeconds: 30,
  waitTimeSeconds: 20,
  shutdownTimeoutMs: 30_000,
  uploadPartSizeMiB: 8,
  uploadQueueSize: 4,
  compressionLevel: 6,
  metricsPort: 9464,
  metricsHost: '127.0.0.1',
  pushgatewayIntervalMs: 20_000,
  pushgatewayInstance: 'data_egress',
  timeZone: 'UTC',
  ruleCacheTtlMs: 0,
} as const;

/** A setting that has a default value. */
export type DefaultedSetting = keyof typeof SERVICE_DEFAULTS;
