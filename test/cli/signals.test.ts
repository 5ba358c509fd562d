import { describe, expect, it } from 'vitest';
import { untilShutdownSignal } from '../../src/cli/signals.ts';

describe('untilShutdownSignal', () => {
  it('announces only once SIGINT and SIGTERM are handled, so a signal right after the line stops gracefully', async () => {
    const before = { SIGINT: process.listenerCount('SIGINT'), SIGTERM: process.listenerCount('SIGTERM') };
    const seenAtAnnounce: Record<string, number> = {};
    const stoppedWith: NodeJS.Signals[] = [];
    const stopped = untilShutdownSignal(
      async (signal) => {
        stoppedWith.push(signal);
      },
      () => {
        seenAtAnnounce.SIGINT = process.listenerCount('SIGINT');
        seenAtAnnounce.SIGTERM = process.listenerCount('SIGTERM');
      },
    );
    expect(seenAtAnnounce).toEqual({ SIGINT: before.SIGINT + 1, SIGTERM: before.SIGTERM + 1 });
    // emit() runs the listeners without delivering a real signal to the test runner.
    process.emit('SIGTERM', 'SIGTERM');
    await stopped;
    expect(stoppedWith).toEqual(['SIGTERM']);
    await new Promise(setImmediate); // the listeners go once the handler's promise has settled
    expect({ SIGINT: process.listenerCount('SIGINT'), SIGTERM: process.listenerCount('SIGTERM') }).toEqual(
      before,
    );
  });

  it('rejects with the stop failure', async () => {
    const stopped = untilShutdownSignal(async () => {
      throw new Error('drain failed');
    });
    process.emit('SIGINT', 'SIGINT');
    await expect(stopped).rejects.toThrow('drain failed');
  });
});
