import { MessageChannel, Worker } from 'node:worker_threads';
import type { EdgeOptions } from '../edge.ts';
import type { EdgeHandle } from '../edge-handle.ts';
import type { ComponentHealth, HealthReport } from '../health.ts';
import type { NotificationRecord } from '../notifications/notifier.ts';
import type { S3WriteRecord } from '../s3-gateway.ts';
import type { S3StorageStats } from '../s3-storage/s3-storage.ts';
import type { AssumedRole } from '../sts.ts';
import { fromCrossingError } from './crossing-errors.ts';
import { PendingRequests } from './pending-requests.ts';
import type { EdgeWorkerData, FromWorker, StartedEdge, ToWorker } from './protocol.ts';
import { SyncAsker } from './sync-channel.ts';

/*
 * The edge on a worker thread of its own. In the sandbox the egress service's client work (SigV4,
 * XML and JSON parsing, stream plumbing) ran on the same event loop as the emulators answering it;
 * on their own thread they each have a loop and, on a machine with two cores, a core
 * (docs/performance.md, "Where a flag's latency goes"). This module is the main thread's side: it
 * loads none of the emulators — the worker imports them — and answers with the EdgeHandle the
 * in-thread edge has.
 */

/**
 * A .mjs entry: on Node 20 a worker does not inherit the tsx loader the main thread registered,
 * so the entry registers it before importing the worker's TypeScript.
 */
const WORKER_ENTRY = new URL('./worker-entry.mjs', import.meta.url);

/** Options for {@link startThreadEdge}: the edge's own, and how its thread reports. */
export interface ThreadEdgeOptions extends Omit<EdgeOptions, 'logger'> {
  /**
   * Log file the edge's thread appends its lines to (component `edge`), beside the other writers
   * of the file: a logger object cannot cross threads. Without it the edge's lines are dropped.
   */
  logFile?: string | undefined;
  /** Level of the edge's lines. @defaultValue `LOG_LEVEL`, else `info` */
  logLevel?: string | undefined;
  /**
   * Told once when the edge's thread dies while the edge runs (an uncaught error, an exit): the
   * endpoint is gone. Not called when the start fails (the promise rejects) nor after `stop()`.
   */
  onFailure?: ((error: EdgeThreadError) => void) | undefined;
  /** How long `assumedRoles()` and `s3Storage()` wait for the edge's thread. @defaultValue 5000 ms */
  syncTimeoutMs?: number | undefined;
  /**
   * The module the worker starts from (tests: one that loads the worker and then misbehaves).
   * @defaultValue `worker-entry.mjs` beside this module
   */
  workerEntry?: URL | undefined;
}

/** The edge's thread died, or is not running when asked something. */
export class EdgeThreadError extends Error {
  override readonly name = 'EdgeThreadError';
}

/** How long the worker may take to answer one health request before `health()` gives up. */
const HEALTH_TIMEOUT_MS = 10_000;

type Phase = 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

interface Pending<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

/**
 * Starts the embedded AWS endpoint ({@link startEdge}, unchanged) on a worker thread and resolves
 * once it listens. Errors of the start (EdgePortInUseError, EdgeSnapshotError, OriginPolicyError…)
 * reject the promise as objects of their own class with their own message.
 */
export async function startThreadEdge(options: ThreadEdgeOptions = {}): Promise<EdgeHandle> {
  const { logFile, logLevel, onFailure, syncTimeoutMs, workerEntry, ...edgeOptions } = options;
  const sync = new MessageChannel();
  const syncSignal = new SharedArrayBuffer(4);
  const workerData: EdgeWorkerData = {
    options: edgeOptions,
    logFile,
    logLevel,
    syncPort: sync.port2,
    syncSignal,
  };
  const worker = new Worker(workerEntry ?? WORKER_ENTRY, { workerData, transferList: [sync.port2] });
  const asker = new SyncAsker(sync.port1, syncSignal, syncTimeoutMs ?? 5_000);
  const send = (message: ToWorker) => worker.postMessage(message);

  let phase: Phase = 'starting';
  let failure: EdgeThreadError | undefined;
  const writeListeners = new Set<(record: S3WriteRecord) => void>();
  const notificationListeners = new Set<(record: NotificationRecord) => void>();
  let contributor: (() => Promise<Record<string, ComponentHealth>>) | undefined;
  const healthRequests = new PendingRequests<HealthReport>(
    HEALTH_TIMEOUT_MS,
    (ms) => new EdgeThreadError(`the edge's thread did not report its health within ${ms} ms`),
  );

  let markExited!: () => void;
  const exited = new Promise<void>((resolve) => {
    markExited = resolve;
  });
  let markStopped!: () => void;
  const stoppedByWorker = new Promise<void>((resolve) => {
    markStopped = resolve;
  });
  let started!: Pending<StartedEdge>;
  const starting = new Promise<StartedEdge>((resolve, reject) => {
    started = { resolve, reject };
  });

  const notRunning = () =>
    failure ?? new EdgeThreadError(`the edge's thread is not running (it is ${phase})`);

  /** The thread is gone: when the edge ran, that is a failure the owner must hear of. */
  const died = (cause: Error) => {
    markExited();
    if (phase === 'stopping' || phase === 'stopped' || phase === 'failed') return;
    const wasStarting = phase === 'starting';
    phase = 'failed';
    failure = new EdgeThreadError(
      `the edge's thread died${wasStarting ? ' before the edge was ready' : ''}: ${cause.message}`,
      { cause },
    );
    asker.close();
    healthRequests.rejectAll(failure);
    if (wasStarting) started.reject(failure);
    else onFailure?.(failure);
  };
  // 'exit' follows 'error' once the thread is gone, its sockets closed: only then is the owner told,
  // so that what it does next (a restart on the same port) finds nothing half-alive.
  let uncaught: Error | undefined;
  worker.on('error', (error) => {
    uncaught ??= error;
  });
  worker.on('exit', (code) => died(uncaught ?? new Error(`it exited with code ${code}`)));

  worker.on('message', (message: FromWorker) => {
    switch (message.type) {
      case 'started':
        phase = 'running';
        started.resolve(message.edge);
        return;
      case 'start-failed': {
        phase = 'stopped';
        const error = fromCrossingError(message.error);
        // The thread's resources go before the caller hears of it, so a retry finds them free.
        asker.close();
        void worker.terminate().finally(() => started.reject(error));
        return;
      }
      case 's3-write':
        for (const listener of writeListeners) listener(message.record);
        return;
      case 'notification':
        for (const listener of notificationListeners) listener(message.record);
        return;
      case 'contribute':
        answerContribution(message.id);
        return;
      case 'health':
      case 'health-failed': {
        healthRequests.settle(
          message.id,
          message.type === 'health' ? { value: message.report } : { error: fromCrossingError(message.error) },
        );
        return;
      }
      case 'stopped':
        markStopped();
        return;
    }
  });

  const answerContribution = (id: number) => {
    if (!contributor) {
      send({ type: 'contribution', id, components: {} });
      return;
    }
    contributor().then(
      (components) => send({ type: 'contribution', id, components }),
      (error: unknown) =>
        send({ type: 'contribution-failed', id, message: (error as Error)?.message ?? String(error) }),
    );
  };

  const edge = await starting;
  let stopping: Promise<void> | undefined;
  return {
    ...edge,
    assumedRoles() {
      if (phase !== 'running') throw notRunning();
      return asker.ask('assumedRoles') as AssumedRole[];
    },
    s3Storage() {
      if (phase !== 'running') throw notRunning();
      return asker.ask('s3Storage') as S3StorageStats;
    },
    onS3Write(listener) {
      writeListeners.add(listener);
      return () => writeListeners.delete(listener);
    },
    onNotification(listener) {
      notificationListeners.add(listener);
      return () => notificationListeners.delete(listener);
    },
    setHealthContributor(provider) {
      const first = contributor === undefined;
      contributor = provider;
      if (first && phase === 'running') send({ type: 'contributor' });
    },
    health() {
      if (phase !== 'running') return Promise.reject(notRunning());
      return healthRequests.ask((id) => send({ type: 'health', id }));
    },
    stop() {
      stopping ??= (async () => {
        if (phase === 'running') {
          phase = 'stopping';
          send({ type: 'stop' });
          // The worker says 'stopped' once its server is closed (the port is free) and its log
          // flushed; a thread that dies meanwhile has freed everything too.
          await Promise.race([stoppedByWorker, exited]);
          asker.close();
        }
        await worker.terminate();
        await exited;
        if (phase === 'stopping') phase = 'stopped';
      })();
      return stopping;
    },
  };
}
