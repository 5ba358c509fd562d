/** Helpers for the SFT agent component tests. */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SftAgent } from '../../src/sft/agent.ts';
import { parseSftAgentConfig } from '../../src/sft/config/parse.ts';
import type { SftAgentConfig } from '../../src/sft/config/types.ts';
import type { DeliveredEvent, FailedEvent, RetryingEvent, UnmatchedEvent } from '../../src/sft/events.ts';
import { temporaryName } from '../../src/sft/volume/names.ts';

/** Writes a file the way the egress service does: a hidden temporary name, then a rename. */
export async function dropFile(dir: string, name: string, data: Buffer | string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const temporary = path.join(dir, temporaryName(name, randomBytes(3).toString('hex')));
  await writeFile(temporary, data);
  const target = path.join(dir, name);
  await rename(temporary, target);
  return target;
}

export interface Recorded {
  delivered: DeliveredEvent[];
  failed: FailedEvent[];
  retrying: RetryingEvent[];
  unmatched: UnmatchedEvent[];
}

/** Collects every event the agent emits. */
export function recordEvents(agent: SftAgent): Recorded {
  const recorded: Recorded = { delivered: [], failed: [], retrying: [], unmatched: [] };
  agent.on('delivered', (event) => recorded.delivered.push(event));
  agent.on('failed', (event) => recorded.failed.push(event));
  agent.on('retrying', (event) => recorded.retrying.push(event));
  agent.on('unmatched', (event) => recorded.unmatched.push(event));
  return recorded;
}

/** A route sending `source` to `url`, with the original's shape. */
export function sendRoute(name: string, source: string, url: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    source,
    errorFolder: `/data-egress/error/${name}`,
    deleteOnSend: true,
    filenameRegex: '.*',
    threadPoolSize: 3,
    actions: [{ name: 'httpRequest', properties: { destination: url } }],
    ...extra,
  };
}

/** Fast timings for component tests: a 200 ms read-lock, 100 → 200 → 400 ms redeliveries. */
export function testConfig(
  routes: unknown[],
  overrides: {
    readLock?: Record<string, unknown>;
    retry?: Record<string, unknown>;
    root?: Record<string, unknown>;
  } = {},
): SftAgentConfig {
  return parseSftAgentConfig(
    {
      readLock: { minAge: 200, checkInterval: 50, timeout: 5000, ...overrides.readLock },
      httpClient: { timeout: '10s', connectionTimeout: '2s', connectionRequestTimeout: '5s' },
      sender: {
        retryBehaviour: {
          redeliveryDelay: 100,
          backOffMultiplier: 2,
          maximumRedeliveries: 2,
          maximumRedeliveryDelay: 400,
          ...overrides.retry,
        },
        routes,
      },
      ...overrides.root,
    },
    { origin: 'test' },
  );
}
