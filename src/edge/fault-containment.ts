import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What the containment needs to know about the request an escaped error belongs to.
 */
export interface RequestScope {
  /** Answers the request with a 500 in its protocol's shape (or drops it when an answer has begun). */
  fail(error: unknown): void;
}

/*
 * The emulators run in this process and some of their code throws from callbacks: dynalite throws
 * on a request stream error and on an unexpected storage error (`if (err) throw err`), far from any
 * caller that could catch it. Left alone, one such throw ends the process — the edge, the egress
 * service, the agent, the stubs and every in-memory object and message.
 *
 * Each request runs inside an AsyncLocalStorage scope; an `uncaughtException` listener, installed
 * while at least one edge runs, looks up the scope of the callback that threw (Node emits the event
 * while the throwing callback's async context is still current). An error with a scope is that
 * request's failure: it becomes a 500 and a log line, and the process goes on. An error without a
 * scope is not the edge's business: when nobody else listens, the listener gets out of the way and
 * rethrows it, so the process crashes exactly as it would without the edge.
 */
const scopes = new AsyncLocalStorage<RequestScope>();
let holders = 0;

function onUncaughtException(error: unknown): void {
  const scope = scopes.getStore();
  if (scope) {
    scope.fail(error);
    return;
  }
  if (process.listenerCount('uncaughtException') > 1) return;
  process.off('uncaughtException', onUncaughtException);
  holders = 0;
  process.nextTick(() => {
    throw error;
  });
}

/** Runs `handler` inside `scope`: an error thrown later from any callback it started fails that request. */
export function runInRequestScope<T>(scope: RequestScope, handler: () => T): T {
  return scopes.run(scope, handler);
}

/**
 * Installs the process-wide listener (reference-counted: one per running edge). Returns the
 * function that releases this holder's reference; the listener goes with the last one.
 */
export function holdFaultContainment(): () => void {
  if (holders === 0) process.on('uncaughtException', onUncaughtException);
  holders += 1;
  let released = false;
  return () => {
    if (released || holders === 0) return;
    released = true;
    holders -= 1;
    if (holders === 0) process.off('uncaughtException', onUncaughtException);
  };
}
