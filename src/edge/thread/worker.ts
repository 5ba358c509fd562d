import { parentPort, workerData } from 'node:worker_threads';
import { privateLogFile } from '../../logging/file-destination.ts';
import { createLogger, type Logger, silentLogger } from '../../logging/logger.ts';
import { type Edge, startEdge } from '../edge.ts';
import type { ComponentHealth } from '../health.ts';
import { toCrossingError } from './crossing-errors.ts';
import { PendingRequests } from './pending-requests.ts';
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
const contributions = new PendingRequests<Record<string, ComponentHealth>>(
  CONTRIBUTION_TIMEOUT_MS,
  (ms) => new Error(`the main thread did not answer within ${ms} ms`),
);

function serve(edge: Edge): void {
  edge.onS3Write((record) => post({ type: 's3-write', record }));
  edge.onNotification((record) => post({ type: 'notification', record }));
  answerSyncQuestions(data.syncPort, data.syncSignal, (question) =>
    question === 'assumedRoles' ? edge.assumedRoles() : edge.s3Storage(),
  );
  port.on('message', (message: ToWorker) => {
    switch (message.type) {
      case 'contributor':
        edge.setHealthContributor(() => contributions.ask((id) => post({ type: 'contribute', id })));
        return;
      case 'contribution':
        contributions.settle(message.id, { value: message.components });
        return;
      case 'contribution-failed':
        contributions.settle(message.id, { error: new Error(message.message) });
        return;
      case 'health':
        edge.health().then(
          (report) => post({ type: 'health', id: message.id, report }),
          (error: unknown) => post({ type: 'health-failed', id: message.id, error: toCrossingError(error) }),
        );
        return;
      case 'stop':
        contributions.rejectAll(new Error('the sandbox is stopping'));
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
