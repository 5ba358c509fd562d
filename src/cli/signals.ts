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
 * once). Long-running commands end with `await untilShutdownSignal(() => component.stop())`.
 */
export function untilShutdownSignal(stop: (signal: NodeJS.Signals) => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    onShutdownSignal(async (signal) => {
      try {
        await stop(signal);
        resolve();
      } catch (error) {
        reject(error);
      }
    });
  });
}
