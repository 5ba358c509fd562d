import { describe, expect, it } from 'vitest';
import { redeliveryBackoff } from '../../src/sft/redelivery.ts';
import { SANDBOX_SFT_TIMINGS, sandboxSftAgentConfig } from '../../src/sft/sandbox-config.ts';
import { backoffDelayMs } from '../../src/util/retry.ts';

describe('sandboxSftAgentConfig', () => {
  const config = sandboxSftAgentConfig({ nifiUrl: 'https://127.0.0.1:18091' });

  it("keeps the original's nine routes and sends every httpRequest to the stub NiFi, paths unchanged", () => {
    expect(config.routes).toHaveLength(9);
    const urls = config.routes.flatMap((route) =>
      route.actions.flatMap((action) => (action.type === 'httpRequest' ? [action.url.href] : [])),
    );
    expect(urls).toEqual([
      'https://127.0.0.1:18091/internal/DSPRIS/inbound/Dataworks/UCFS/data',
      'https://127.0.0.1:18091/internal/DandARed/inbound/Dataworks/UCFS/tactical',
      'https://127.0.0.1:18091/internal/DandARed/inbound/Dataworks/UCFS/data',
      'https://127.0.0.1:18091/DA',
      'https://127.0.0.1:18091/internal/DandARed/inbound/Test',
      'https://127.0.0.1:18091/internal/DA/inbound/Test',
      'https://127.0.0.1:18091/internal/CEHA/inbound/Dataworks/UCFS/data',
    ]);
  });

  it('scales the delays down so a finished file leaves within 10 s, and a failing one gives up within it', () => {
    expect(config.readLock).toEqual({ minAgeMs: 500, checkIntervalMs: 250, timeoutMs: 10_000 });
    expect(config.retry).toEqual({
      redeliveryDelayMs: 500,
      backOffMultiplier: 2,
      maximumRedeliveries: 3,
      maximumRedeliveryDelayMs: 4000,
    });
    const waits = [1, 2, 3].map((n) => backoffDelayMs(redeliveryBackoff(config.retry), n));
    expect(waits).toEqual([500, 1000, 2000]);
    // RIS → ris-tmp → NiFi passes two read-locks; even with every redelivery used it stays under 10 s.
    expect(2 * config.readLock.minAgeMs + waits.reduce((a, b) => a + b, 0)).toBeLessThan(10_000);
    expect(config.warnings).toEqual([]);
  });

  it('takes timing and pool-size overrides (the benchmark compares 1 and 3)', () => {
    const custom = sandboxSftAgentConfig({
      nifiUrl: 'https://localhost:8091',
      threadPoolSize: 1,
      timings: { minAgeMs: 100, maximumRedeliveries: 0 },
      apiKey: 'k',
    });
    expect(custom.routes.every((route) => route.threadPoolSize === 1)).toBe(true);
    expect(custom.readLock.minAgeMs).toBe(100);
    expect(custom.retry.maximumRedeliveries).toBe(0);
    expect(custom.apiKey).toBe('k');
    expect({ ...SANDBOX_SFT_TIMINGS }).toMatchObject({ minAgeMs: 500 });
  });
});
