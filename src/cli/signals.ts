/**
 * Runs `handler` once on the first SIGINT or SIGTERM; a second signal while it runs exits at once,
 * so a stuck shutdown can always be interrupted.
 */
export function onShutdownSignal(handler: (signal: NodeJS.Signals) => Promise<void>): void {
  let running = false;
  const listener = (signal: NodeJS.Signals) => {
    if (running) {
      console.error(`${signal} again: exiting without waiting`);
      process.exit(130);
    }
    running = true;
    handler(signal).then(
      () => {
        process.off('SIGINT', listener);
        process.off('SIGTERM', listener);
      },
      (error: unknown) => {
        console.error(`shutdown failed: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', listener);
  process.on('SIGTERM', listener);
}

/**
 * Resolves once the first SIGINT/SIGTERM has been handled by `stop` (a second signal exits at
 * once). Long-running commands end with `await untilShutdownSignal(() => component.stop(), announce)`.
 *
 * `announce` prints the "running"/"ready" line and is called only once the handler is in place:
 * a supervisor (or a test) that signals as soon as it reads that line must get a graceful stop,
 * never Node's default exit, however the processes are scheduled.
 */
export function untilShutdownSignal(
  stop: (signal: NodeJS.Signals) => Promise<void>,
  announce: () => void = () => {},
): Promise<void> {
  const stopped = new Promise<void>((resolve, reject) => {
    onShutdownSignal(async (signal) => {
      try {
        await stop(signal);
        resolve();
      } catch (error) {
        reject(error);
      }
    });
  });
  announce();
  return stopped;
}
