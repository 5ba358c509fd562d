import type { JavaRegex } from './java-regex.ts';

/**
 * The SFT agent's configuration after validation: durations in milliseconds, patterns compiled,
 * defaults applied. Paths (`source`, `destination`, `errorFolder`) are still the configured
 * absolute-style paths (`/data-egress/sas/`); the agent joins them under its `sftRoot`.
 */
export interface SftAgentConfig {
  /** Routes in file order; order decides which route takes a file (see `selectRoute`). */
  routes: SftRoute[];
  retry: RetryPolicy;
  readLock: ReadLockConfig;
  httpClient: HttpClientConfig;
  /** `apikey`: sent on every `httpRequest` as the `apikeyHeader` header when set. */
  apiKey?: string | undefined;
  /** Header carrying `apiKey`. @defaultValue `x-api-key` */
  apiKeyHeader: string;
  /** Non-fatal findings (unknown keys, keystore settings that are not read), for logging. */
  warnings: string[];
  /** Where the configuration came from, for messages (file names, or `<sandbox>`). */
  origin: string;
}

/** `sender.retryBehaviour`: redelivery n waits min(redeliveryDelay × backOffMultiplier^(n-1), cap). */
export interface RetryPolicy {
  redeliveryDelayMs: number;
  backOffMultiplier: number;
  /** Redeliveries after the first attempt, so attempts = 1 + maximumRedeliveries. */
  maximumRedeliveries: number;
  maximumRedeliveryDelayMs: number;
}

/** `readLock`: a file is taken only when it has not changed for `minAgeMs`. */
export interface ReadLockConfig {
  minAgeMs: number;
  /** How often size and modification time are checked. */
  checkIntervalMs: number;
  /** After this long without a stable file a warning is logged; the agent keeps waiting. */
  timeoutMs: number;
}

export interface HttpClientConfig {
  /** Whole request (connect, upload, response). */
  timeoutMs: number;
  /** TCP + TLS handshake of a new connection. */
  connectionTimeoutMs: number;
  /** Waiting for a free pooled connection. */
  connectionRequestTimeoutMs: number;
  tls?: HttpClientTlsConfig | undefined;
}

export interface HttpClientTlsConfig {
  /** PEM files (absolute once loaded from a file; relative paths resolve against that file). */
  caPath?: string | undefined;
  certPath?: string | undefined;
  keyPath?: string | undefined;
  /** `verifyHostname: false` skips the server-name check (the certificate chain is still verified). */
  verifyHostname: boolean;
  /** From `supportedProtocols` (`TLSv1.2`, `TLSv1.3`): the lowest and highest allowed. */
  minVersion?: 'TLSv1.2' | 'TLSv1.3' | 'TLSv1.1' | 'TLSv1' | undefined;
  maxVersion?: 'TLSv1.2' | 'TLSv1.3' | 'TLSv1.1' | 'TLSv1' | undefined;
}

export interface SftRoute {
  name: string;
  /** 0-based position in `sender.routes`. */
  index: number;
  /** Watched directory, as configured (`/data-egress/sas/`). */
  source: string;
  filenameRegex: JavaRegex;
  actions: SftAction[];
  errorFolder: string;
  deleteOnSend: boolean;
  /** Files of this route processed at the same time. */
  threadPoolSize: number;
}

export type SftAction = WriteFileAction | RenameFileAction | HttpRequestAction;

/** Copies the file (under its current name) into `destination`. */
export interface WriteFileAction {
  type: 'writeFile';
  destination: string;
}

/** Changes the name later actions use: Java `name.replaceAll(rename_regex, rename_replacement)`. */
export interface RenameFileAction {
  type: 'renameFile';
  regex: JavaRegex;
  replacement: string;
  /** Renames a name; throws when the replacement is not valid for the pattern. */
  rename(name: string): string;
}

/** POSTs the file to `url` with a `filename` header. */
export interface HttpRequestAction {
  type: 'httpRequest';
  url: URL;
}
