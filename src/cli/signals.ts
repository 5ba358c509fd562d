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
