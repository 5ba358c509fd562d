import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** The project root (where package.json lives): the default home of `.sandbox/`. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Each listening component, its default port and the environment variable that moves it. */
export const PORTS = {
  edge: { variable: 'EGRESS_EDGE_PORT', default: 4566 },
  dks: { variable: 'EGRESS_DKS_PORT', default: 8443 },
  nifi: { variable: 'EGRESS_NIFI_PORT', default: 8091 },
  metrics: { variable: 'EGRESS_METRICS_PORT', default: 9464 },
  dashboard: { variable: 'EGRESS_DASHBOARD_PORT', default: 4570 },
} as const;

export type Component = keyof typeof PORTS;

/** Resolved settings of one sandbox run. */
export interface SandboxSettings {
  host: string;
  region: string;
  stateDir: string;
  ports: Record<Component, number>;
  /** Name of the stub-hdfs bucket the stub NiFi writes to (`stub-hdfs-<env>`). */
  nifiBucket: string;
  /**
   * Run the embedded edge on a worker thread of its own, so the emulators and the other components
   * each have an event loop (`EGRESS_EDGE_THREAD`; `0` keeps it on the main thread).
   * @defaultValue true
   */
  edgeThread?: boolean;
}

/** A setting from the environment that cannot be used; names the variable. */
export class SandboxSettingError extends Error {
  override readonly name = 'SandboxSettingError';
}

const portSchema = z.coerce.number().int().min(0).max(65_535);

/** `EGRESS_EDGE_THREAD`: on unless `0`, `false` or `no`. */
function edgeThread(raw: string | undefined): boolean {
  if (raw === undefined || raw === '' || /^(1|true|yes)$/i.test(raw)) return true;
  if (/^(0|false|no)$/i.test(raw)) return false;
  throw new SandboxSettingError(`EGRESS_EDGE_THREAD=${raw} must be 1 or 0 (true/false, yes/no)`);
}

/**
 * Reads the sandbox settings from the environment (ports, host) and options (state dir).
 * Every port can be 0, which picks a free one; sandbox.json then tells the truth.
 */
export function resolveSandboxSettings(
  options: { stateDir?: string | undefined } = {},
  env: NodeJS.ProcessEnv = process.env,
): SandboxSettings {
  const ports = {} as Record<Component, number>;
  for (const [component, { variable, default: fallback }] of Object.entries(PORTS) as [
    Component,
    (typeof PORTS)[Component],
  ][]) {
    const raw = env[variable];
    if (raw === undefined || raw === '') {
      ports[component] = fallback;
      continue;
    }
    const parsed = portSchema.safeParse(raw);
    if (!parsed.success) {
      throw new SandboxSettingError(`${variable}=${raw} is not a port number (0–65535)`);
    }
    ports[component] = parsed.data;
  }
  const environmentName = env.EGRESS_ENVIRONMENT || 'local';
  if (!/^[a-z0-9-]{1,40}$/.test(environmentName)) {
    throw new SandboxSettingError(`EGRESS_ENVIRONMENT=${environmentName} must be 1–40 of a-z 0-9 -`);
  }
  return {
    edgeThread: edgeThread(env.EGRESS_EDGE_THREAD),
    host: env.EGRESS_HOST || '127.0.0.1',
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'eu-west-2',
    stateDir: path.resolve(options.stateDir ?? (env.EGRESS_STATE_DIR || path.join(PROJECT_ROOT, '.sandbox'))),
    ports,
    nifiBucket: `stub-hdfs-${environmentName}`,
  };
}
