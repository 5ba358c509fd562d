import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { z } from 'zod';
import { type Logger, silentLogger } from '../../../logging/logger.ts';
import { type BackoffPolicy, RetriesExhausted, withRetry } from '../../../util/retry.ts';
import { decodeStrictBase64 } from '../base64.ts';
import type { DataKey } from '../data-key.ts';
import { shortKeyHash } from '../key-hash.ts';
import { DataKeyDecryptionError, DataKeyServiceUnavailableError } from './dks-errors.ts';
import { type DksHttpResponse, DksTransportError, sendDksRequest } from './dks-http.ts';
import { LruCache } from './lru-cache.ts';
import { SingleFlight } from './single-flight.ts';

/** Back-off of DKS calls, without jitter (the client's options have no field for it). */
export type DksRetryPolicy = Omit<BackoffPolicy, 'jitter'>;

/** The original's intended (but never enabled) DKS retry: 5 attempts, 1 s, ×2 (behaviour §4.2). */
export const DEFAULT_DKS_RETRY_POLICY: DksRetryPolicy = {
  attempts: 5,
  initialDelayMs: 1000,
  multiplier: 2,
  maxDelayMs: 30_000,
};

export { DataKeyDecryptionError, DataKeyServiceUnavailableError } from './dks-errors.ts';

/** Options of {@link DataKeyServiceClient}. */
export interface DataKeyServiceClientOptions {
  /** DKS base URL, e.g. `https://127.0.0.1:8443`; a path prefix is kept. `http:` means plain HTTP. */
  url: string;
  /**
   * PEM contents for mutual TLS: the CA that signed the DKS server certificate, and the client
   * certificate and key (both or neither). Ignored for `http:` URLs. Without it, the system CAs
   * are trusted and no client certificate is sent.
   */
  tls?: { ca: string; cert?: string; key?: string };
  /** Back-off for 5xx, 429, network errors and timeouts; 400 is never retried. @defaultValue 5 attempts, 1000 ms, ×2, ≤ 30 000 ms */
  retry?: Partial<DksRetryPolicy>;
  /** Deadline of one attempt (connect + response), 1–600 000 ms. @defaultValue 30 000 */
  timeoutMs?: number;
  /** Unwrapped keys kept in memory (LRU), 0–1 000 000; 0 disables the cache. @defaultValue 1000 */
  cacheSize?: number;
  /** Pooled connections to the DKS, 1–256. @defaultValue 16 */
  maxSockets?: number;
  /** @defaultValue silentLogger() */
  logger?: Logger;
}

const intIn = (field: string, min: number, max: number) =>
  z
    .number({ error: `${field} must be a number` })
    .int(`${field} must be an integer`)
    .min(min, `${field} must be at least ${min}`)
    .max(max, `${field} must be at most ${max}`);

const optionsSchema = z.object({
  url: z
    .string({ error: 'url must be a string' })
    .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), {
      error: 'url must be an absolute http: or https: URL',
    }),
  tls: z
    .object({
      ca: z.string({ error: 'tls.ca must be a PEM string' }).min(1, 'tls.ca must not be empty'),
      cert: z.string().min(1, 'tls.cert must not be empty').optional(),
      key: z.string().min(1, 'tls.key must not be empty').optional(),
    })
    .refine((tls) => (tls.cert === undefined) === (tls.key === undefined), {
      error: 'tls.cert and tls.key must be given together',
    })
    .optional(),
  retry: z
    .object({
      attempts: intIn('retry.attempts', 1, 20).optional(),
      initialDelayMs: intIn('retry.initialDelayMs', 0, 60_000).optional(),
      multiplier: z
        .number()
        .min(1, 'retry.multiplier must be at least 1')
        .max(10, 'retry.multiplier must be at most 10')
        .optional(),
      maxDelayMs: intIn('retry.maxDelayMs', 0, 600_000).optional(),
    })
    .optional(),
  timeoutMs: intIn('timeoutMs', 1, 600_000).optional(),
  cacheSize: intIn('cacheSize', 0, 1_000_000).optional(),
  maxSockets: intIn('maxSockets', 1, 256).optional(),
});

const generateResponseSchema = z.object({
  dataKeyEncryptionKeyId: z.string().min(1),
  plaintextDataKey: z.string().min(1),
  ciphertextDataKey: z.string().min(1),
});
const decryptResponseSchema = z.object({ plaintextDataKey: z.string().min(1) });

/** An HTTP status other than the expected one; retryable for 5xx and 429. */
class UnexpectedStatus extends Error {
  constructor(readonly status: number) {
    super(`status ${status}`);
  }
}
/** A success status with a body we cannot use. The body is never quoted: it may hold a key. */
class UnusableResponse extends Error {}

function isRetryable(error: unknown): boolean {
  if (error instanceof UnexpectedStatus) return error.status >= 500 || error.status === 429;
  return error instanceof DksTransportError || error instanceof UnusableResponse;
}

/** A short, key-free reason from a 400 body (`{"reason": …}` from the stub), for error messages. */
function refusalReason(body: string, encryptedKey: string): string | undefined {
  try {
    const json = JSON.parse(body) as Record<string, unknown>;
    const reason = json.reason ?? json.message ?? json.error;
    if (typeof reason !== 'string' || reason.length === 0) return undefined;
    return reason.split(encryptedKey).join('<encryptedKey>').slice(0, 200);
  } catch {
    return undefined;
  }
}

/** How a DKS call failed, for its log lines and error messages (`… data key service <this>`). */
function howTheCallFailed(error: unknown): string {
  if (error instanceof UnexpectedStatus) return `returned status code '${error.status}'`;
  if (error instanceof UnusableResponse) return `returned an unusable response (${error.message})`;
  return `request failed (${error instanceof Error ? error.message : String(error)})`;
}

/**
 * Client of the Data Key Service (behaviour §4.2, docs/reference/contracts.md#dks-api): one pooled keep-alive agent
 * carrying the mTLS material (the original built a client per call, §10.21), exponential back-off
 * on transient failures (the original's retry never ran), no retry on 400, a bounded LRU of
 * unwrapped keys and single-flight for concurrent identical decrypts.
 */
export class DataKeyServiceClient {
  readonly #base: URL;
  readonly #agent: http.Agent;
  readonly #retry: DksRetryPolicy;
  readonly #timeoutMs: number;
  readonly #cache: LruCache<string, Buffer> | undefined;
  readonly #flights = new SingleFlight<string, Buffer>();
  readonly #logger: Logger;
  readonly #closing = new AbortController();
  #batch: Promise<DataKey> | undefined;

  constructor(options: DataKeyServiceClientOptions) {
    const parsed = optionsSchema.safeParse(options);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => issue.message).join('; ');
      throw new RangeError(`invalid DataKeyServiceClient options: ${problems}`);
    }
    const valid = parsed.data;
    this.#base = new URL(valid.url);
    this.#retry = { ...DEFAULT_DKS_RETRY_POLICY, ...valid.retry };
    if (this.#retry.maxDelayMs < this.#retry.initialDelayMs) {
      throw new RangeError(
        `invalid DataKeyServiceClient options: retry.maxDelayMs (${this.#retry.maxDelayMs}) must be at least retry.initialDelayMs (${this.#retry.initialDelayMs})`,
      );
    }
    this.#timeoutMs = valid.timeoutMs ?? 30_000;
    const cacheSize = valid.cacheSize ?? 1000;
    // Evicted keys are zeroed: callers get copies, so nobody else holds these buffers.
    this.#cache = cacheSize > 0 ? new LruCache(cacheSize, (key) => key.fill(0)) : undefined;
    this.#logger = options.logger ?? silentLogger();
    const pool = { keepAlive: true, maxSockets: valid.maxSockets ?? 16 };
    this.#agent =
      this.#base.protocol === 'https:'
        ? new https.Agent({ ...pool, ...(valid.tls ?? {}) })
        : new http.Agent(pool);
  }

  /**
   * `GET /datakey?correlationId=…` → 201: a fresh data key and its wrapped form.
   * @throws DataKeyServiceUnavailableError when no 201 arrives after the retries.
   */
  async generateDataKey(signal?: AbortSignal): Promise<DataKey> {
    const correlationId = randomUUID();
    const url = this.#endpoint('datakey', { correlationId });
    const response = await this.#exchange({
      operation: 'generate',
      correlationId,
      expectedStatus: 201,
      signal,
      send: (attemptSignal) =>
        sendDksRequest({
          method: 'GET',
          url,
          agent: this.#agent,
          headers: { accept: 'application/json' },
          timeoutMs: this.#timeoutMs,
          signal: attemptSignal,
        }),
      parse: (body) => {
        const json = generateResponseSchema.safeParse(safeJson(body));
        if (!json.success)
          throw new UnusableResponse('not {dataKeyEncryptionKeyId, plaintextDataKey, ciphertextDataKey}');
        const plaintextDataKey = decodeStrictBase64(json.data.plaintextDataKey);
        if (!plaintextDataKey) throw new UnusableResponse('plaintextDataKey is not Base64');
        return {
          keyEncryptionKeyId: json.data.dataKeyEncryptionKeyId,
          plaintextDataKey,
          encryptedDataKey: json.data.ciphertextDataKey,
        };
      },
    });
    this.#logger.debug(
      {
        dksCorrelationId: correlationId,
        keyEncryptionKeyId: response.keyEncryptionKeyId,
        encryptedKeyHash: shortKeyHash(response.encryptedDataKey),
      },
      'dks data key generated',
    );
    return response;
  }

  /**
   * The "batch data key" (behaviour §4.2): generated once and reused for the life of the client, for
   * manifests and matdesc-less CSE objects. A failed attempt is not cached.
   */
  async batchDataKey(signal?: AbortSignal): Promise<DataKey> {
    if (!this.#batch) {
      const pending = this.generateDataKey();
      this.#batch = pending;
      pending.catch(() => {
        if (this.#batch === pending) this.#batch = undefined;
      });
    }
    const key = await raceSignal(this.#batch, signal);
    return { ...key, plaintextDataKey: Buffer.from(key.plaintextDataKey) };
  }

  /**
   * `POST /datakey/actions/decrypt?keyId=…&correlationId=…` with the wrapped key as text → 200.
   * Served from the LRU cache when possible; concurrent identical calls share one request.
   *
   * @returns the raw key bytes (a copy the caller may overwrite).
   * @throws DataKeyDecryptionError on 400 (after exactly one request).
   * @throws DataKeyServiceUnavailableError when the DKS stays unavailable.
   */
  async decryptDataKey(
    keyEncryptionKeyId: string,
    encryptedDataKey: string,
    signal?: AbortSignal,
  ): Promise<Buffer> {
    this.#closing.signal.throwIfAborted();
    const cacheKey = `${keyEncryptionKeyId}\n${encryptedDataKey}`;
    const cached = this.#cache?.get(cacheKey);
    if (cached) {
      this.#logger.debug(
        { keyEncryptionKeyId, encryptedKeyHash: shortKeyHash(encryptedDataKey) },
        'dks decrypt served from cache',
      );
      return Buffer.from(cached);
    }
    const key = await this.#flights.run(
      cacheKey,
      async (flightSignal) => {
        const plaintext = await this.#fetchDecrypt(keyEncryptionKeyId, encryptedDataKey, flightSignal);
        this.#cache?.set(cacheKey, unpooledCopy(plaintext));
        return plaintext;
      },
      signal,
    );
    return Buffer.from(key);
  }

  /** Ends pooled connections, aborts requests in flight and forgets cached keys. Idempotent. */
  async close(): Promise<void> {
    if (!this.#closing.signal.aborted) this.#closing.abort(new Error('DataKeyServiceClient is closed'));
    this.#agent.destroy();
    this.#cache?.clear();
  }

  async #fetchDecrypt(
    keyEncryptionKeyId: string,
    encryptedDataKey: string,
    signal: AbortSignal,
  ): Promise<Buffer> {
    const correlationId = randomUUID();
    const encryptedKeyHash = shortKeyHash(encryptedDataKey);
    const url = this.#endpoint('datakey/actions/decrypt', { keyId: keyEncryptionKeyId, correlationId });
    const body = Buffer.from(encryptedDataKey, 'latin1');
    return this.#exchange({
      operation: 'decrypt',
      correlationId,
      keyEncryptionKeyId,
      encryptedKeyHash,
      expectedStatus: 200,
      signal,
      send: (attemptSignal) =>
        sendDksRequest({
          method: 'POST',
          url,
          agent: this.#agent,
          headers: {
            accept: 'application/json',
            'content-type': 'text/plain; charset=ISO-8859-1',
            'content-length': String(body.length),
          },
          body,
          timeoutMs: this.#timeoutMs,
          signal: attemptSignal,
        }),
      refuse: (response) =>
        response.status === 400
          ? new DataKeyDecryptionError({
              keyEncryptionKeyId,
              correlationId,
              encryptedKeyHash,
              status: 400,
              reason: refusalReason(response.body, encryptedDataKey),
            })
          : undefined,
      parse: (text) => {
        const json = decryptResponseSchema.safeParse(safeJson(text));
        if (!json.success) throw new UnusableResponse('no plaintextDataKey');
        const key = decodeStrictBase64(json.data.plaintextDataKey);
        if (!key) throw new UnusableResponse('plaintextDataKey is not Base64');
        return key;
      },
    });
  }

  /** One logical DKS call: attempts with back-off, status mapping, and logging without keys. */
  async #exchange<T>(call: {
    operation: 'generate' | 'decrypt';
    correlationId: string;
    keyEncryptionKeyId?: string;
    encryptedKeyHash?: string;
    expectedStatus: number;
    signal: AbortSignal | undefined;
    send: (signal: AbortSignal) => Promise<DksHttpResponse>;
    refuse?: (response: DksHttpResponse) => Error | undefined;
    parse: (body: string) => T;
  }): Promise<T> {
    const signal = call.signal ? AbortSignal.any([this.#closing.signal, call.signal]) : this.#closing.signal;
    const context = {
      dksCorrelationId: call.correlationId,
      operation: call.operation,
      keyEncryptionKeyId: call.keyEncryptionKeyId,
      encryptedKeyHash: call.encryptedKeyHash,
    };
    signal.throwIfAborted(); // withRetry lets a started attempt run; an aborted call makes none
    try {
      return await withRetry(
        async (attempt) => {
          const started = Date.now();
          const response = await call.send(signal);
          this.#logger.debug(
            { ...context, attempt, status: response.status, durationMs: Date.now() - started },
            'dks response',
          );
          if (response.status === call.expectedStatus) return call.parse(response.body);
          throw call.refuse?.(response) ?? new UnexpectedStatus(response.status);
        },
        {
          policy: this.#retry,
          signal,
          isRetryable,
          onRetry: (error, attempt, delayMs) =>
            this.#logger.warn(
              {
                ...context,
                attempt,
                attempts: this.#retry.attempts,
                delayMs,
                failure: howTheCallFailed(error),
              },
              'dks call failed, retrying',
            ),
        },
      );
    } catch (error) {
      if (!(error instanceof RetriesExhausted)) throw error;
      const last = error.lastError;
      if (last instanceof DataKeyDecryptionError) {
        this.#logger.warn({ ...context, status: last.status }, 'dks refused to decrypt the data key');
        throw last;
      }
      const what =
        call.operation === 'generate'
          ? `Getting batch data key - data key service ${last instanceof UnexpectedStatus ? `returned bad status code '${last.status}'` : howTheCallFailed(last)}`
          : `Decrypting encryptedKey: '${call.encryptedKeyHash}' with keyEncryptionKeyId: '${call.keyEncryptionKeyId}' data key service ${howTheCallFailed(last)}`;
      const unavailable = new DataKeyServiceUnavailableError(
        `${what} for dks_correlation_id: '${call.correlationId}' after ${error.attempts} attempt(s)`,
        {
          operation: call.operation,
          correlationId: call.correlationId,
          attempts: error.attempts,
          status: last instanceof UnexpectedStatus ? last.status : undefined,
          keyEncryptionKeyId: call.keyEncryptionKeyId,
          encryptedKeyHash: call.encryptedKeyHash,
        },
        { cause: last },
      );
      this.#logger.error(
        { ...context, attempts: error.attempts, failure: howTheCallFailed(last) },
        'dks unavailable',
      );
      throw unavailable;
    }
  }

  #endpoint(path: string, query: Record<string, string>): URL {
    const url = new URL(this.#base);
    url.pathname = `${this.#base.pathname.replace(/\/+$/, '')}/${path}`;
    // URLSearchParams form-encodes: ':' → %3A, ',' → %2C, ' ' → '+' (behaviour §4.2).
    url.search = new URLSearchParams(query).toString();
    return url;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function raceSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * A copy in its own memory: `Buffer.from(buffer)` places small copies in Node's shared 8 KiB pool,
 * so each cached 32-byte key would keep a whole pool slab alive (≈ 8 MiB for a full cache).
 */
function unpooledCopy(source: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(source.length);
  source.copy(copy);
  return copy;
}
