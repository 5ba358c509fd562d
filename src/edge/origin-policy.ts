import net from 'node:net';

/*
 * Who may talk to the sandbox's HTTP servers (the AWS edge, the dashboard). They have no
 * authentication and bind a loopback address, which stops other machines but not the browser on
 * this one:
 *
 * - cross-site requests: any web page can make the browser POST to 127.0.0.1 — e.g. DeleteObjects
 *   with `Content-Type: text/plain`, which needs no CORS preflight. The browser names the page in
 *   `Origin`; a request whose `Origin` is not a loopback origin is refused.
 * - DNS rebinding: a page on `evil.example` re-points that name at 127.0.0.1 and can then read the
 *   answers, same-origin. The browser sends `Host: evil.example:4566`; a request whose `Host` is not
 *   a loopback name or address is refused.
 *
 * SDKs, the AWS CLI and curl send no `Origin` and use the endpoint's own host, so they pass.
 * Containers that reach the edge by a service name (`edge:4566`) need that name allowed
 * (`EGRESS_ALLOWED_HOSTS`); pages served from another origin need it allowed
 * (`EGRESS_ALLOWED_ORIGINS`). This module is pure: no I/O.
 */

/** Environment variables of the policy (comma-separated lists). */
export const ALLOWED_HOSTS_VARIABLE = 'EGRESS_ALLOWED_HOSTS';
export const ALLOWED_ORIGINS_VARIABLE = 'EGRESS_ALLOWED_ORIGINS';

/** Options for {@link OriginPolicy}. */
export interface OriginPolicyOptions {
  /**
   * Host names or addresses accepted in `Host` besides loopback ones: `edge`, `10.0.0.5`,
   * `[fd00::5]`, `*.svc.cluster.local` (any subdomain), or `*` (any host: no rebinding protection).
   * Ports are not part of the match.
   */
  allowedHosts?: readonly string[];
  /**
   * Origins (`http(s)://host[:port]`) accepted in `Origin` besides loopback ones, or `*` (any
   * origin: no cross-site protection).
   */
  allowedOrigins?: readonly string[];
}

/** A list entry that cannot be used; names the setting. */
export class OriginPolicyError extends Error {
  override readonly name = 'OriginPolicyError';
  constructor(
    readonly setting: string,
    readonly entry: string,
    reason: string,
  ) {
    super(`${setting}: ${JSON.stringify(entry)} ${reason}`);
  }
}

export type OriginVerdict = { allowed: true } | { allowed: false; reason: string };

const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

const LABEL = '[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?';
const HOST_NAME = new RegExp(`^(?:\\*\\.)?${LABEL}(?:\\.${LABEL})*$`);

/** The host part of a `Host` header or URL host, lower case, without port, brackets or final dot. */
export function hostnameOf(host: string): string {
  let name = host.trim().toLowerCase();
  if (name.startsWith('[')) {
    const end = name.indexOf(']');
    name = end === -1 ? name.slice(1) : name.slice(1, end);
  } else {
    const colon = name.lastIndexOf(':');
    // One colon is a port; more make it an unbracketed IPv6 address, which has none.
    if (colon !== -1 && name.indexOf(':') === colon) name = name.slice(0, colon);
  }
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/** `localhost`, any `*.localhost` (RFC 6761), 127.0.0.0/8, `::1` and IPv4-mapped 127.x. */
export function isLoopbackHostname(hostname: string): boolean {
  const name = hostnameOf(hostname);
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  const family = net.isIP(name);
  if (family === 4) return LOOPBACK.check(name, 'ipv4');
  if (family === 6) return LOOPBACK.check(name, 'ipv6');
  return false;
}

function normaliseHostEntry(entry: string, setting: string): string {
  if (entry === '*') return entry;
  const name = hostnameOf(entry);
  const port = /^(?:\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(entry.trim())?.[1];
  const portOk = port === undefined || /^\d{1,5}$/.test(port) || net.isIP(entry.trim()) === 6;
  if (portOk && (net.isIP(name) !== 0 || HOST_NAME.test(name))) return name;
  throw new OriginPolicyError(
    setting,
    entry,
    'is not a host name or address (e.g. edge, 10.0.0.5, *.internal)',
  );
}

function originOf(value: string): string | undefined {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

function normaliseOriginEntry(entry: string, setting: string): string {
  if (entry === '*') return entry;
  const origin = originOf(entry);
  if (!origin || origin !== entry.toLowerCase().replace(/\/$/, '')) {
    throw new OriginPolicyError(setting, entry, 'is not an origin (http(s)://host[:port], nothing after it)');
  }
  return origin;
}

/** Splits a comma-separated list, dropping blanks. */
export function parseList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/**
 * Decides whether a request's `Host` and `Origin` headers are acceptable. Construction validates
 * every entry and throws {@link OriginPolicyError} naming the setting.
 */
export class OriginPolicy {
  private readonly hosts: readonly string[];
  private readonly origins: readonly string[];

  constructor(
    options: OriginPolicyOptions = {},
    names = { hosts: 'allowedHosts', origins: 'allowedOrigins' },
  ) {
    this.hosts = (options.allowedHosts ?? []).map((entry) => normaliseHostEntry(entry, names.hosts));
    this.origins = (options.allowedOrigins ?? []).map((entry) => normaliseOriginEntry(entry, names.origins));
  }

  /** The policy of `EGRESS_ALLOWED_HOSTS` / `EGRESS_ALLOWED_ORIGINS`, plus `extraHosts` (the bound address). */
  static fromEnvironment(
    env: NodeJS.ProcessEnv = process.env,
    extraHosts: readonly string[] = [],
  ): OriginPolicy {
    return new OriginPolicy(
      {
        allowedHosts: [...parseList(env[ALLOWED_HOSTS_VARIABLE]), ...extraHosts],
        allowedOrigins: parseList(env[ALLOWED_ORIGINS_VARIABLE]),
      },
      { hosts: ALLOWED_HOSTS_VARIABLE, origins: ALLOWED_ORIGINS_VARIABLE },
    );
  }

  /** True for a loopback host or one of the allowed hosts. */
  hostAllowed(host: string): boolean {
    const name = hostnameOf(host);
    if (isLoopbackHostname(name)) return true;
    return this.hosts.some(
      (entry) => entry === '*' || entry === name || (entry.startsWith('*.') && name.endsWith(entry.slice(1))),
    );
  }

  /**
   * The verdict for one request. No `Host` (HTTP/1.0) is accepted: browsers always send one. No
   * `Origin` is accepted: browsers send one with every cross-site POST. An `Origin` passes when it is
   * a loopback origin, an allowed one, or the request's own (same-origin: its host already passed).
   */
  check(headers: { host?: string | undefined; origin?: string | undefined }): OriginVerdict {
    const { host, origin } = headers;
    if (host !== undefined && !this.hostAllowed(host)) {
      return {
        allowed: false,
        reason: `Host ${JSON.stringify(host)} is not a loopback name or address, nor in ${ALLOWED_HOSTS_VARIABLE}`,
      };
    }
    if (origin === undefined) return { allowed: true };
    const serialised = originOf(origin);
    if (serialised) {
      const url = new URL(serialised);
      if (isLoopbackHostname(url.hostname)) return { allowed: true };
      if (this.origins.includes('*') || this.origins.includes(serialised)) return { allowed: true };
      if (host !== undefined && url.host === host.trim().toLowerCase()) return { allowed: true };
    } else if (this.origins.includes('*')) {
      return { allowed: true };
    }
    return {
      allowed: false,
      reason: `Origin ${JSON.stringify(origin)} is not a loopback origin, nor in ${ALLOWED_ORIGINS_VARIABLE}`,
    };
  }
}
