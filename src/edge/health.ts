/*
 * The health report in LocalStack's `/_localstack/health` shape — `{"services": {"s3": "running",
 * …}, "edition": …, "version": …}` — so tools and habits made for LocalStack (a compose
 * healthcheck, `curl …/_localstack/health | jq .services`) work here. LocalStack merges extra state
 * beside `services` (its `features`); the sandbox adds `details`: where each component listens and
 * what is wrong with one in error. Pure: the probes live with the components.
 */

/** LocalStack's service states that the sandbox uses. */
export type ServiceState = 'running' | 'error' | 'starting' | 'stopping';

/** One component's health as a probe found it. */
export interface ComponentHealth {
  readonly state: ServiceState;
  /** Where it listens (a URL), or what it watches. */
  readonly url?: string | undefined;
  /** A short sentence: what it is doing, or what is wrong. */
  readonly detail?: string | undefined;
}

/** The `/_localstack/health` document. */
export interface HealthReport {
  readonly services: Readonly<Record<string, ServiceState>>;
  readonly edition: string;
  readonly version: string;
  readonly details: Readonly<Record<string, { readonly url?: string; readonly detail?: string }>>;
}

/** What the sandbox calls itself where LocalStack says `community` or `pro`. */
export const HEALTH_EDITION = 'egress-sandbox';

/** Builds the report from each component's health, in the order given. */
export function healthReport(
  components: Readonly<Record<string, ComponentHealth>>,
  version: string,
): HealthReport {
  const services: Record<string, ServiceState> = {};
  const details: Record<string, { url?: string; detail?: string }> = {};
  for (const [name, health] of Object.entries(components)) {
    services[name] = health.state;
    if (health.url !== undefined || health.detail !== undefined) {
      details[name] = {
        ...(health.url !== undefined ? { url: health.url } : {}),
        ...(health.detail !== undefined ? { detail: health.detail } : {}),
      };
    }
  }
  return { services, edition: HEALTH_EDITION, version, details };
}

/** The components that are not running, by name. */
export function unhealthy(report: Pick<HealthReport, 'services'>): string[] {
  return Object.entries(report.services)
    .filter(([, state]) => state !== 'running')
    .map(([name]) => name);
}

/** Runs a probe with a deadline; a probe that throws or takes too long is `error` with the reason. */
export async function probeHealth(
  url: string | undefined,
  check: () => Promise<string | undefined>,
  timeoutMs = 2_000,
): Promise<ComponentHealth> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const detail = await Promise.race([check(), deadline]);
    return { state: 'running', url, ...(detail ? { detail } : {}) };
  } catch (error) {
    return { state: 'error', url, detail: (error as Error)?.message ?? String(error) };
  } finally {
    clearTimeout(timer);
  }
}
