import type { AwsTarget } from '../aws/target.ts';
import type { ComponentHealth, HealthReport } from './health.ts';
import type { NotificationRecord } from './notifications/notifier.ts';
import type { S3WriteRecord } from './s3-gateway.ts';
import type { S3StorageStats } from './s3-storage/s3-storage.ts';
import type { AssumedRole } from './sts.ts';

/*
 * What the rest of the project may ask of a running edge, wherever it runs: on the caller's
 * thread (`startEdge`) or on a worker thread of its own (`startThreadEdge`). Types only, so that
 * importing it loads none of the emulators.
 */

/** A running embedded AWS endpoint. */
export interface EdgeHandle {
  /** `http://<host>:<port>` — give it to every SDK client as `endpoint`. */
  readonly endpoint: string;
  readonly port: number;
  readonly region: string;
  /** Ready-made target for `src/aws/clients.ts`. */
  readonly target: AwsTarget;
  /** The `worker_threads` id of the thread the emulators run on (0: the main thread). */
  readonly threadId: number;
  /** Roles handed out by STS AssumeRole, oldest first. */
  assumedRoles(): readonly AssumedRole[];
  /** Observe S3 writes (method, bucket, key, status, access key used). */
  onS3Write(listener: (record: S3WriteRecord) => void): () => void;
  /** What the embedded S3 holds: bodies in memory and on disk, objects, uploads, its directory. */
  s3Storage(): S3StorageStats;
  /** Observe S3 event notifications as they are delivered to SQS. */
  onNotification(listener: (record: NotificationRecord) => void): () => void;
  /**
   * Adds components to the health report at `/_localstack/health` (the sandbox's stubs and
   * services); the provider is asked at every request.
   */
  setHealthContributor(provider: () => Promise<Record<string, ComponentHealth>>): void;
  /** The health report as `/_localstack/health` serves it. */
  health(): Promise<HealthReport>;
  /** With `persistDir`: what was restored at start (zeros on a first start). */
  readonly restored: EdgeRestoreSummary | undefined;
  /** Stops accepting requests, settles pending notifications and frees every socket. */
  stop(): Promise<void>;
}

/** What a persistent edge found of its earlier runs. */
export interface EdgeRestoreSummary {
  /** When the snapshot was written; undefined on a first start. */
  readonly savedAt: string | undefined;
  readonly buckets: number;
  readonly objects: number;
  /** Objects whose bodies were gone (deleted by a run that was killed after the snapshot). */
  readonly droppedObjects: readonly { bucket: string; key: string }[];
  readonly queues: number;
  readonly messages: number;
  readonly parameters: number;
  readonly notifications: number;
}
