import type { MessagePort } from 'node:worker_threads';
import type { AwsTarget } from '../../aws/target.ts';
import type { EdgeOptions } from '../edge.ts';
import type { EdgeRestoreSummary } from '../edge-handle.ts';
import type { ComponentHealth, HealthReport } from '../health.ts';
import type { NotificationRecord } from '../notifications/notifier.ts';
import type { S3WriteRecord } from '../s3-gateway.ts';
import type { CrossingError } from './crossing-errors.ts';

/*
 * The messages between the main thread and the edge's worker. Everything here is structured-clone
 * data: records keep their Dates, errors cross as CrossingError.
 */

/** What the worker is started with (`workerData`). */
export interface EdgeWorkerData {
  /** The edge's options, without the logger (a logger cannot cross threads). */
  readonly options: Omit<EdgeOptions, 'logger'>;
  /** The log file the worker appends its lines to; none: it logs nothing. */
  readonly logFile: string | undefined;
  readonly logLevel: string | undefined;
  /** The worker's end of the synchronous channel (see sync-channel.ts). */
  readonly syncPort: MessagePort;
  readonly syncSignal: SharedArrayBuffer;
}

/** What the main thread learns of the edge once it listens. */
export interface StartedEdge {
  readonly endpoint: string;
  readonly port: number;
  readonly region: string;
  readonly target: AwsTarget;
  readonly threadId: number;
  readonly restored: EdgeRestoreSummary | undefined;
}

/** Worker → main thread. */
export type FromWorker =
  | { readonly type: 'started'; readonly edge: StartedEdge }
  | { readonly type: 'start-failed'; readonly error: CrossingError }
  | { readonly type: 's3-write'; readonly record: S3WriteRecord }
  | { readonly type: 'notification'; readonly record: NotificationRecord }
  /** The worker serves `/_localstack/health` and asks for the main thread's components. */
  | { readonly type: 'contribute'; readonly id: number }
  | { readonly type: 'health'; readonly id: number; readonly report: HealthReport }
  | { readonly type: 'health-failed'; readonly id: number; readonly error: CrossingError }
  | { readonly type: 'stopped' };

/** Main thread → worker. */
export type ToWorker =
  | { readonly type: 'contributor' }
  | {
      readonly type: 'contribution';
      readonly id: number;
      readonly components: Record<string, ComponentHealth>;
    }
  | { readonly type: 'contribution-failed'; readonly id: number; readonly message: string }
  | { readonly type: 'health'; readonly id: number }
  | { readonly type: 'stop' };

/** The questions the main thread asks synchronously (their answers are the Edge methods' results). */
export type SyncQuestion = 'assumedRoles' | 's3Storage';
