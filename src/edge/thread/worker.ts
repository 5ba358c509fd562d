import { parentPort, workerData } from 'node:worker_threads';
import { privateLogFile } from '../../logging/file-destination.ts';
import { createLogger, type Logger, silentLogger } from '../../logging/logger.ts';
import { type Edge, startEdge } from '../edge.ts';
import type { ComponentHealth } from '../health.ts';
import { toCrossingError } from './crossing-errors.ts';
import type { EdgeWorkerData, FromWorker, ToWorker } from './protocol.ts';
import { answerSyncQuestions } from './sync-channel.ts';

/*
 * The edge's thread: runs startEdge (the emulators load here, not in the main thread) and serves
 * the main thread's side (thread-edge.ts) over its port. Loaded by worker-entry.mjs.
 */

/** How long a health request waits for the main thread's components before reporting them unknown. */
const CONTRIBUTION_TIMEOUT_MS = 10_000;

const data = workerData as EdgeWorkerData;
const port = parentPort!;
const post = (message: FromWorker) => port.postMessage(message);

const destination = data.logFile ? await privateLogFile(data.logFile) : undefined;
const logger: Logger = destination
  ? createLogger({ component: 'edge', level: data.logLevel, destination })
  : silentLogger();
// Lines still buffered when the thread dies would be lost; 'exit' runs on an uncaught error too.
process.on('exit', () => {
  try {
    destination?.flushSync();
  } catch {
    // Not open yet, or closed already: nothing buffered to save.
  }
});

async function closeLog(): Promise<void> {
  if (!destination) return;
  await new Promise<void>((resolve) => {
    destination.once('close', () => resolve());
    destination.end();
  });
}

/** The main thread's health components, asked for at each `/_localstack/health` request. */
function contributions(): {
  ask: () => Promise<Record<string, ComponentHealth>>;
  settle: (id: number, outcome: { components: Record<string, ComponentHealth> } | { error: string }) => void;
  abandon: () => void;
} {
  const waiting = new Map<
    number,
    { resolve: (c: Record<string, ComponentHealth>) => void; reject: (e: Error) => void }
  >();
  let lastId = 0;
  return {
    ask: () =>
      new Promise((resolve, reject) => {
        const id = ++lastId;
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`the main thread did not answer within ${CONTRIBUTION_TIMEOUT_MS} ms`));
        }, CONTRIBUTION_TIMEOUT_MS);
        timer.unref();
        waiting.set(id, {
          resolve: (components) => {
            clearTimeout(timer);
            resolve(components);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
        post({ type: 'contribute', id });
      }),
    settle: (id, outcome) => {
      const request = waiting.get(id);
      waiting.delete(id);
      if (!request) return;
      if ('components' in outcome) request.resolve(outcome.components);
      else request.reject(new Error(outcome.error));
    },
    abandon: () => {
      for (const request of waiting.values()) request.reject(new Error('the sandbox is stopping'));
      waiting.clear();
    },
  };
}

function serve(edge: Edge): void {
  edge.onS3Write((record) => post({ type: 's3-write', record }));
  edge.onNotification((record) => post({ type: 'notification', record }));
  answerSyncQuestions(data.syncPort, data.syncSignal, (question) =>
    question === 'assumedRoles' ? edge.assumedRoles() : edge.s3Storage(),
  );
  const contributed = contributions();
  port.on('message', (message: ToWorker) => {
    switch (message.type) {
      case 'contributor':
        edge.setHealthContributor(contributed.ask);
        return;
      case 'contribution':
        contributed.settle(message.id, { components: message.components });
        return;
      case 'contribution-failed':
        contributed.settle(message.id, { error: message.message });
        return;
      case 'health':
        edge.health().then(
          (report) => post({ type: 'health', id: message.id, report }),
          (error: unknown) => post({ type: 'health-failed', id: message.id, error: toCrossingError(error) }),
        );
        return;
      case 'stop':
        contributed.abandon();
        void edge
          .stop()
          .then(closeLog)
          .then(() => post({ type: 'stopped' }));
        return;
    }
  });
}

try {
  const edge = await startEdge({ ...data.options, logger });
  serve(edge);
  post({
    type: 'started',
    edge: {
      endpoint: edge.endpoint,
      port: edge.port,
      region: edge.region,
      target: edge.target,
      threadId: edge.threadId,
      restored: edge.restored,
    },
  });
} catch (error) {
  await closeLog();
  post({ type: 'start-failed', error: toCrossingError(error) });
}
