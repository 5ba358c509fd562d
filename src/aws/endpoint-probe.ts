import http from 'node:http';
import https from 'node:https';
import { setTimeout as delay } from 'node:timers/promises';

/** Options for {@link waitForAwsEndpoint}. */
export interface EndpointWaitOptions {
  /** Give up after this long. @defaultValue 15 000 ms */
  timeoutMs?: number;
  /** Longest wait for one answer; a server that accepts but never answers counts as not answering. @defaultValue 2 000 ms */
  attemptTimeoutMs?: number;
  /** Pause between attempts. @defaultValue 200 ms */
  intervalMs?: number;
  signal?: AbortSignal;
}

/** The AWS endpoint gave no HTTP answer within the wait; names the endpoint, the wait and why. */
export class AwsEndpointUnreachableError extends Error {
  override readonly name = 'AwsEndpointUnreachableError';
  constructor(
    readonly endpoint: string,
    readonly waitedMs: number,
    readonly lastProblem: string,
  ) {
    super(
      `the AWS endpoint ${endpoint} did not answer within ${Math.round(waitedMs / 1000)} s (${lastProblem}); ` +
        'start it first (e.g. moto_server, LocalStack) or check the URL',
    );
  }
}

/** One HTTP request; any status counts as an answer (an emulator answers `/` with 200, 403 or 404). */
function probeOnce(url: URL, timeoutMs: number, signal?: AbortSignal): Promise<string | undefined> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    const request = client.request(
      url,
      // An emulator with a self-signed certificate is still an endpoint that answers.
      {
        method: 'GET',
        timeout: timeoutMs,
        rejectUnauthorized: false,
        agent: false,
        ...(signal ? { signal } : {}),
      },
      (response) => {
        response.resume();
        resolve(undefined);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    request.end();
  });
}

/**
 * Waits until something answers HTTP at `endpoint` (any status), or throws
 * {@link AwsEndpointUnreachableError} after a bounded wait. It checks that an endpoint is there,
 * not that the credentials work: provisioning says so if they do not.
 */
export async function waitForAwsEndpoint(endpoint: string, options: EndpointWaitOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 2_000;
  const intervalMs = options.intervalMs ?? 200;
  const url = new URL(endpoint);
  const started = Date.now();
  for (;;) {
    options.signal?.throwIfAborted();
    const remaining = timeoutMs - (Date.now() - started);
    const problem = await probeOnce(url, Math.max(1, Math.min(attemptTimeoutMs, remaining)), options.signal);
    options.signal?.throwIfAborted();
    if (problem === undefined) return;
    if (Date.now() - started + intervalMs >= timeoutMs) {
      throw new AwsEndpointUnreachableError(endpoint, Date.now() - started, problem);
    }
    await delay(intervalMs, undefined, options.signal ? { signal: options.signal } : undefined).catch(() => {
      // Aborted: the caller's reason, not the timer's AbortError.
      options.signal?.throwIfAborted();
    });
  }
}
