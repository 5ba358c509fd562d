/**
 * A failed action attempt. `retryable` decides between redelivery and the error folder:
 * network errors, timeouts, 408, 429 and 5xx are worth another try; other 4xx and local
 * problems that cannot change (an unusable name) are not.
 */
export class ActionError extends Error {
  override readonly name = 'ActionError';
  readonly retryable: boolean;
  /** HTTP status of the last response, when there was one. */
  readonly status: number | undefined;
  /** Node error code (`ECONNREFUSED`, `ETIMEDOUT`, …) when there was one. */
  readonly code: string | undefined;
  constructor(
    message: string,
    options: { retryable: boolean; status?: number | undefined; code?: string | undefined; cause?: unknown },
  ) {
    super(message, { cause: options.cause });
    this.retryable = options.retryable;
    this.status = options.status;
    this.code = options.code;
  }
}

/** Whether an HTTP status is worth redelivering. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Any thrown value as an action failure: errors that are not {@link ActionError}s (file-system hiccups) count as retryable. */
export function asActionError(error: unknown): ActionError {
  if (error instanceof ActionError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return new ActionError((error as Error)?.message ?? String(error), { retryable: true, code, cause: error });
}
