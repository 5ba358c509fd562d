import type { z } from 'zod';
import { compileJavaRegex, type JavaRegex, javaReplaceAll, parseJavaReplacement } from './java-regex.ts';
import {
  actionSchemas,
  httpClientSchema,
  type RawRoot,
  type RawRoute,
  readLockSchema,
  retryBehaviourSchema,
  rootSchema,
  routeSchema,
  senderSchema,
  tlsSchema,
} from './schema.ts';
import type { SourceLine } from './template.ts';
import type { HttpClientTlsConfig, RenameFileAction, SftAction, SftAgentConfig, SftRoute } from './types.ts';

/** Defaults where the original's files say nothing (its sample agent-config has no `readLock`). */
export const CONFIG_DEFAULTS = {
  readLock: { minAgeMs: 1000, checkIntervalMs: 1000, timeoutMs: 60_000 },
  retry: {
    redeliveryDelayMs: 1000,
    backOffMultiplier: 2,
    maximumRedeliveries: 3,
    maximumRedeliveryDelayMs: 60_000,
  },
  httpClient: { timeoutMs: 3_600_000, connectionTimeoutMs: 20_000, connectionRequestTimeoutMs: 20_000 },
  apiKeyHeader: 'x-api-key',
  filenameRegex: '.*',
  threadPoolSize: 1,
} as const;

export type ConfigPath = readonly (string | number)[];

/** One problem in a configuration, located as precisely as the input allows. */
export interface ConfigIssue {
  /** Path in the YAML document, e.g. `['sender', 'routes', 7, 'actions', 0, 'properties', 'rename_regex']`. */
  path: ConfigPath;
  message: string;
  /** File and line, when the configuration came from files. */
  origin?: SourceLine | undefined;
  /** Route name and index when the problem is inside a route. */
  route?: { name: string | undefined; index: number } | undefined;
  /** The path inside the route (or the whole path outside one), e.g. `actions[0].properties.rename_regex`. */
  field: string;
}

/** A configuration that cannot be used; `message` lists every problem with file, route and field. */
export class SftConfigError extends Error {
  override readonly name = 'SftConfigError';
  constructor(
    readonly origin: string,
    readonly issues: ConfigIssue[],
  ) {
    super(
      `invalid SFT agent configuration (${origin}):\n${issues
        .slice(0, 20)
        .map((issue) => `  ${formatIssue(issue)}`)
        .join('\n')}${issues.length > 20 ? `\n  … and ${issues.length - 20} more` : ''}`,
    );
  }
}

/** `file:line: route "name" (sender.routes[i]): field: message`. */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.origin ? `${issue.origin.file}:${issue.origin.line}: ` : '';
  const route = issue.route
    ? `route ${issue.route.name === undefined ? '(unnamed)' : `"${issue.route.name}"`} (sender.routes[${issue.route.index}]): `
    : '';
  return `${where}${route}${issue.field}: ${issue.message}`;
}

export interface ParseOptions {
  /** Named in error messages: the file(s) or `<sandbox>`. */
  origin: string;
  /** Maps a YAML path to its file and line (the loader provides it from the parsed document). */
  locate?: ((path: ConfigPath) => SourceLine | undefined) | undefined;
}

function fieldName(path: ConfigPath): string {
  return path.reduce<string>(
    (out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${part}` : part),
    '',
  );
}

function valueAt(raw: unknown, path: ConfigPath): unknown {
  let value = raw;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[part];
  }
  return value;
}

function makeIssue(raw: unknown, path: ConfigPath, message: string, options: ParseOptions): ConfigIssue {
  const inRoute = path[0] === 'sender' && path[1] === 'routes' && typeof path[2] === 'number';
  const routeIndex = inRoute ? (path[2] as number) : undefined;
  const routeName =
    routeIndex === undefined ? undefined : valueAt(raw, ['sender', 'routes', routeIndex, 'name']);
  let origin: SourceLine | undefined;
  // A missing key has no node: walk up to the nearest ancestor that exists.
  for (let depth = path.length; depth >= 0 && !origin; depth--)
    origin = options.locate?.(path.slice(0, depth));
  return {
    path,
    message,
    origin,
    route:
      routeIndex === undefined
        ? undefined
        : {
            name:
              typeof routeName === 'string' || typeof routeName === 'number' ? String(routeName) : undefined,
            index: routeIndex,
          },
    field: fieldName(inRoute ? path.slice(3) : path) || '(document)',
  };
}

function zodMessage(raw: unknown, issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && valueAt(raw, issue.path as ConfigPath) === undefined) {
    return 'is required';
  }
  return issue.message;
}

/** Keys present in `value` that `known` does not list. */
function unknownKeysOf(value: unknown, known: readonly string[]): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  return Object.keys(value).filter((key) => !known.includes(key));
}

const IGNORED_WITH_REASON: Record<string, string> = {
  logging: 'ignored: this agent logs JSON lines through pino (level from LOG_LEVEL)',
};

/** Warnings for keys this agent does not use, so a typo is visible without refusing the file. */
function collectWarnings(raw: unknown): string[] {
  const warnings: string[] = [];
  const warn = (path: ConfigPath, keys: string[]) => {
    for (const key of keys) {
      const reason = path.length === 0 ? IGNORED_WITH_REASON[key] : undefined;
      warnings.push(`${fieldName([...path, key])}: ${reason ?? 'unknown key, ignored'}`);
    }
  };
  const keys = (schema: { shape: object }) => Object.keys(schema.shape);
  warn([], unknownKeysOf(raw, keys(rootSchema)));
  warn(['httpClient'], unknownKeysOf(valueAt(raw, ['httpClient']), keys(httpClientSchema)));
  warn(['httpClient', 'tls'], unknownKeysOf(valueAt(raw, ['httpClient', 'tls']), keys(tlsSchema)));
  warn(['readLock'], unknownKeysOf(valueAt(raw, ['readLock']), keys(readLockSchema)));
  warn(['sender'], unknownKeysOf(valueAt(raw, ['sender']), keys(senderSchema)));
  warn(
    ['sender', 'retryBehaviour'],
    unknownKeysOf(valueAt(raw, ['sender', 'retryBehaviour']), keys(retryBehaviourSchema)),
  );
  const routes = valueAt(raw, ['sender', 'routes']);
  if (Array.isArray(routes)) {
    routes.forEach((route, i) => {
      warn(['sender', 'routes', i], unknownKeysOf(route, keys(routeSchema)));
      const actions = valueAt(route, ['actions']);
      if (!Array.isArray(actions)) return;
      actions.forEach((action, j) => {
        const schema = actionSchemas[valueAt(action, ['name']) as keyof typeof actionSchemas];
        if (!schema) return;
        const at = ['sender', 'routes', i, 'actions', j];
        warn(at, unknownKeysOf(action, keys(schema)));
        warn(
          [...at, 'properties'],
          unknownKeysOf(valueAt(action, ['properties']), keys(schema.shape.properties)),
        );
      });
    });
  }
  const tls = valueAt(raw, ['httpClient', 'tls']) as Record<string, unknown> | undefined;
  if (tls && typeof tls === 'object') {
    if (['keyStorePath', 'trustStorePath'].some((key) => key in tls)) {
      warnings.push(
        'httpClient.tls: keyStorePath/trustStorePath (Java keystores) are not read; give PEM files with caPath, certPath and keyPath (or --ca, --cert, --key)',
      );
    }
    if ('supportedCiphers' in tls) {
      warnings.push(
        'httpClient.tls.supportedCiphers: Java cipher names are not applied; Node’s default TLS ciphers are used',
      );
    }
  }
  return warnings;
}

function buildTls(raw: NonNullable<NonNullable<RawRoot['httpClient']>['tls']>): HttpClientTlsConfig {
  const order = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
  const protocols = [...(raw.supportedProtocols ?? [])].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  return {
    caPath: raw.caPath,
    certPath: raw.certPath,
    keyPath: raw.keyPath,
    verifyHostname: raw.verifyHostname ?? true,
    minVersion: protocols[0],
    maxVersion: protocols[protocols.length - 1],
  };
}

/** A `renameFile` action; a pattern or replacement that does not compile is reported by field. */
function buildRename(
  properties: { rename_regex: string; rename_replacement: string },
  fail: (field: 'rename_regex' | 'rename_replacement', message: string) => void,
): RenameFileAction {
  const { rename_regex, rename_replacement } = properties;
  const unusable: RenameFileAction = {
    type: 'renameFile',
    regex: compileJavaRegex('.*'),
    replacement: '',
    rename: (n) => n,
  };
  let regex: JavaRegex;
  try {
    regex = compileJavaRegex(rename_regex);
  } catch (error) {
    fail('rename_regex', (error as Error).message);
    return unusable;
  }
  try {
    const parts = parseJavaReplacement(rename_replacement, regex);
    return {
      type: 'renameFile',
      regex,
      replacement: rename_replacement,
      rename: (name) => javaReplaceAll(name, regex, parts),
    };
  } catch (error) {
    fail('rename_replacement', (error as Error).message);
    return unusable;
  }
}

/** Compiles one validated route; pushes issues (paths relative to the route) for what does not compile. */
function buildRoute(
  raw: RawRoute,
  index: number,
  fail: (path: ConfigPath, message: string) => void,
): SftRoute {
  let filenameRegex: SftRoute['filenameRegex'];
  try {
    filenameRegex = compileJavaRegex(raw.filenameRegex ?? CONFIG_DEFAULTS.filenameRegex);
  } catch (error) {
    fail(['filenameRegex'], (error as Error).message);
    filenameRegex = compileJavaRegex('.*');
  }
  if (
    raw.threadPoolSize !== undefined &&
    raw.maxThreadPoolSize !== undefined &&
    raw.maxThreadPoolSize < raw.threadPoolSize
  ) {
    fail(['maxThreadPoolSize'], `must not be less than threadPoolSize (${raw.threadPoolSize})`);
  }
  const actions = raw.actions.map((action, j): SftAction => {
    if (action.name === 'httpRequest') return { type: 'httpRequest', url: action.properties.destination };
    if (action.name === 'renameFile') {
      return buildRename(action.properties, (field, message) =>
        fail(['actions', j, 'properties', field], message),
      );
    }
    if (action.properties.destination === raw.source) {
      fail(
        ['actions', j, 'properties', 'destination'],
        'writes into the route’s own source directory (the file would loop)',
      );
    }
    return { type: 'writeFile', destination: action.properties.destination };
  });
  return {
    name: raw.name,
    index,
    source: raw.source,
    filenameRegex,
    actions,
    errorFolder: raw.errorFolder,
    deleteOnSend: raw.deleteOnSend ?? false,
    threadPoolSize: raw.threadPoolSize ?? raw.maxThreadPoolSize ?? CONFIG_DEFAULTS.threadPoolSize,
  };
}

/**
 * Validates a parsed YAML document (or an equivalent object) and builds the agent configuration.
 * Pure: no file access. Throws {@link SftConfigError} listing every problem with its route and field.
 */
export function parseSftAgentConfig(raw: unknown, options: ParseOptions): SftAgentConfig {
  const parsed = rootSchema.safeParse(raw);
  if (!parsed.success) {
    throw new SftConfigError(
      options.origin,
      parsed.error.issues.map((issue) =>
        makeIssue(raw, issue.path as ConfigPath, zodMessage(raw, issue), options),
      ),
    );
  }
  const root = parsed.data;
  const issues: ConfigIssue[] = [];
  const routes = root.sender.routes.map((route, index) =>
    buildRoute(route, index, (path, message) =>
      issues.push(makeIssue(raw, ['sender', 'routes', index, ...path], message, options)),
    ),
  );
  // An error folder that is also watched would feed failed files straight back into a route.
  const sources = new Set(routes.map((route) => route.source));
  for (const route of routes) {
    if (sources.has(route.errorFolder)) {
      issues.push(
        makeIssue(
          raw,
          ['sender', 'routes', route.index, 'errorFolder'],
          `is also a watched source directory (${route.errorFolder})`,
          options,
        ),
      );
    }
  }
  if (issues.length > 0) throw new SftConfigError(options.origin, issues);

  const retry = root.sender.retryBehaviour ?? {};
  const readLock = root.readLock ?? {};
  const http = root.httpClient ?? {};
  return {
    routes,
    retry: {
      redeliveryDelayMs: retry.redeliveryDelay ?? CONFIG_DEFAULTS.retry.redeliveryDelayMs,
      backOffMultiplier: retry.backOffMultiplier ?? CONFIG_DEFAULTS.retry.backOffMultiplier,
      maximumRedeliveries: retry.maximumRedeliveries ?? CONFIG_DEFAULTS.retry.maximumRedeliveries,
      maximumRedeliveryDelayMs:
        retry.maximumRedeliveryDelay ?? CONFIG_DEFAULTS.retry.maximumRedeliveryDelayMs,
    },
    readLock: {
      minAgeMs: readLock.minAge ?? CONFIG_DEFAULTS.readLock.minAgeMs,
      checkIntervalMs: readLock.checkInterval ?? CONFIG_DEFAULTS.readLock.checkIntervalMs,
      timeoutMs: readLock.timeout ?? CONFIG_DEFAULTS.readLock.timeoutMs,
    },
    httpClient: {
      timeoutMs: http.timeout ?? CONFIG_DEFAULTS.httpClient.timeoutMs,
      connectionTimeoutMs: http.connectionTimeout ?? CONFIG_DEFAULTS.httpClient.connectionTimeoutMs,
      connectionRequestTimeoutMs:
        http.connectionRequestTimeout ?? CONFIG_DEFAULTS.httpClient.connectionRequestTimeoutMs,
      tls: http.tls ? buildTls(http.tls) : undefined,
    },
    apiKey: root.apikey ?? undefined,
    apiKeyHeader: root.apikeyHeader ?? CONFIG_DEFAULTS.apiKeyHeader,
    warnings: collectWarnings(raw),
    origin: options.origin,
  };
}
