import type { FauxqsQueueStore } from './sqs-snapshot.ts';

/**
 * A fauxqs 1.9.2 SQS store the edge owns, so its queues can be snapshot and restored. fauxqs
 * creates one itself unless `buildApp({ stores })` is given one, and its package exports only
 * `buildApp`: the class is loaded from its file beside the package's entry point. fauxqs is pinned
 * to exactly 1.9.2 (package.json); test/edge/persistence.test.ts fails if the file moves.
 */
export async function createFauxqsQueueStore(): Promise<FauxqsQueueStore> {
  const entry = import.meta.resolve('fauxqs');
  const module = (await import(new URL('./sqs/sqsStore.js', entry).href)) as {
    SqsStore: new () => FauxqsQueueStore;
  };
  return new module.SqsStore();
}
