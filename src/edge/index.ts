export {
  type Edge,
  type EdgeOptions,
  EdgePortInUseError,
  type EdgeRestoreSummary,
  startEdge,
} from './edge.ts';
export { type ComponentHealth, type HealthReport, healthReport, unhealthy } from './health.ts';
export type { NotificationRecord } from './notifications/notifier.ts';
export { OriginPolicy, OriginPolicyError } from './origin-policy.ts';
export { EdgeSnapshotError } from './persistence/edge-snapshot.ts';
export { MAX_S3_BODY_BYTES, type S3WriteRecord } from './s3-gateway.ts';
export type { AssumedRole } from './sts.ts';
