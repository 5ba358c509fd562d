import { fileURLToPath } from 'node:url';
import { loadSftAgentConfig } from './config/load.ts';
import type { SftAgentConfig } from './config/types.ts';

/** The original's templates, copied verbatim into the repository (`config/sft/*.yml.tpl`). */
export const SFT_TEMPLATE_DIR = fileURLToPath(new URL('../../config/sft/', import.meta.url));

/** Timings of the sandbox agent: the original's minutes scaled to (sub-)seconds. */
export interface SandboxSftTimings {
  /** readLock.minAge (original 20 s). */
  minAgeMs: number;
  /** readLock.checkInterval (original 20 s). */
  checkIntervalMs: number;
  /** readLock.timeout (original 60 s). */
  readLockTimeoutMs: number;
  /** sender.retryBehaviour.redeliveryDelay (original 10 min). */
  redeliveryDelayMs: number;
  backOffMultiplier: number;
  maximumRedeliveries: number;
  /** sender.retryBehaviour.maximumRedeliveryDelay (original 1 h). */
  maximumRedeliveryDelayMs: number;
  /** httpClient.timeout (original 1 h). */
  requestTimeoutMs: number;
  /** httpClient.connectionTimeout (original 20 s). */
  connectionTimeoutMs: number;
  /** httpClient.connectionRequestTimeout (original 20 s). */
  connectionRequestTimeoutMs: number;
}

/**
 * Sandbox defaults. A file written to `/data-egress/sas/` leaves after about `minAge` (0.5 s);
 * the RIS chain (RIS → ris-tmp → NiFi) takes two read-locks; a stub NiFi that keeps failing
 * puts a file in the error folder after 0.5 + 1 + 2 s of redelivery waits. All well inside the
 * "a finished file leaves within 10 s" budget of docs/reference/contracts.md#sandbox-timings.
 */
export const SANDBOX_SFT_TIMINGS: Readonly<SandboxSftTimings> = {
  minAgeMs: 500,
  checkIntervalMs: 250,
  readLockTimeoutMs: 10_000,
  redeliveryDelayMs: 500,
  backOffMultiplier: 2,
  maximumRedeliveries: 3,
  maximumRedeliveryDelayMs: 4_000,
  requestTimeoutMs: 60_000,
  connectionTimeoutMs: 5_000,
  connectionRequestTimeoutMs: 10_000,
};

/** Options for {@link sandboxSftAgentConfig}. */
export interface SandboxSftAgentConfigOptions {
  /**
   * Base URL of the stub NiFi (`https://127.0.0.1:8091`). It replaces the origin of every
   * `httpRequest` destination (the original's `https://${aws_destination_url}:8091`); paths stay.
   */
  nifiUrl: string;
  /** Overrides of {@link SANDBOX_SFT_TIMINGS}. */
  timings?: Partial<SandboxSftTimings> | undefined;
  /** Overrides every route's `threadPoolSize` (the benchmark compares 1 and 3). */
  threadPoolSize?: number | undefined;
  /** `apikey` sent as `x-api-key`. @defaultValue `sandbox-api-key` */
  apiKey?: string | undefined;
}

/**
 * The original's route set (behaviour §8.4, from the verbatim template in `config/sft/`) pointed at
 * the stub NiFi, with delays scaled down for the sandbox. Pass the sandbox certificates to
 * `startSftAgent` through its `tls` option.
 */
export function sandboxSftAgentConfig(options: SandboxSftAgentConfigOptions): SftAgentConfig {
  const nifi = new URL(options.nifiUrl);
  const timings = { ...SANDBOX_SFT_TIMINGS, ...options.timings };
  const config = loadSftAgentConfig(
    {
      agentConfig: `${SFT_TEMPLATE_DIR}agent-config.yml.tpl`,
      applicationConfig: `${SFT_TEMPLATE_DIR}agent-application-config.yml.tpl`,
    },
    { aws_destination_url: nifi.hostname, apiKey: options.apiKey ?? 'sandbox-api-key' },
  );
  const routes = config.routes.map((route) => ({
    ...route,
    threadPoolSize: options.threadPoolSize ?? route.threadPoolSize,
    actions: route.actions.map((action) =>
      action.type === 'httpRequest'
        ? { ...action, url: new URL(`${action.url.pathname}${action.url.search}`, nifi) }
        : action,
    ),
  }));
  return {
    ...config,
    routes,
    readLock: {
      minAgeMs: timings.minAgeMs,
      checkIntervalMs: timings.checkIntervalMs,
      timeoutMs: timings.readLockTimeoutMs,
    },
    retry: {
      redeliveryDelayMs: timings.redeliveryDelayMs,
      backOffMultiplier: timings.backOffMultiplier,
      maximumRedeliveries: timings.maximumRedeliveries,
      maximumRedeliveryDelayMs: timings.maximumRedeliveryDelayMs,
    },
    httpClient: {
      timeoutMs: timings.requestTimeoutMs,
      connectionTimeoutMs: timings.connectionTimeoutMs,
      connectionRequestTimeoutMs: timings.connectionRequestTimeoutMs,
    },
    // The template's `logging:` warning says nothing useful about the sandbox.
    warnings: [],
    origin: '<sandbox: config/sft/agent-config.yml.tpl + agent-application-config.yml.tpl>',
  };
}
