import { backoffDelayMs } from '../../util/retry.ts';

/**
 * How long the queue consumer waits before trying SQS again while receives keep failing (the
 * endpoint is down, credentials are refused, …): exponential, capped, with jitter so several
 * service instances do not retry in step. Pure.
 */
export interface ReceiveBackoffPolicy {
  /** Wait before the first retry. @defaultValue 500 ms */
  initialMs: number;
  /** Longest wait; also the longest delay between the endpoint's return and the next receive. @defaultValue 20 000 ms */
  maxMs: number;
  /** Each further wait × this. @defaultValue 2 */
  multiplier: number;
  /** Share of each wait that is random (0 none … 1 "full jitter"); waits only get shorter. @defaultValue 0.2 */
  jitter: number;
}

export const DEFAULT_RECEIVE_BACKOFF: Readonly<ReceiveBackoffPolicy> = Object.freeze({
  initialMs: 500,
  maxMs: 20_000,
  multiplier: 2,
  jitter: 0.2,
});

/** A policy from defaults and overrides; throws with a message naming the limit a value breaks. */
export function receiveBackoffPolicy(overrides: Partial<ReceiveBackoffPolicy> = {}): ReceiveBackoffPolicy {
  const policy = { ...DEFAULT_RECEIVE_BACKOFF, ...overrides };
  const problems: string[] = [];
  if (!Number.isFinite(policy.initialMs) || policy.initialMs < 1)
    problems.push(`initialMs must be at least 1 ms, got ${policy.initialMs}`);
  if (!Number.isFinite(policy.maxMs) || policy.maxMs < policy.initialMs)
    problems.push(`maxMs must be at least initialMs (${policy.initialMs} ms), got ${policy.maxMs}`);
  if (!Number.isFinite(policy.multiplier) || policy.multiplier < 1)
    problems.push(`multiplier must be at least 1, got ${policy.multiplier}`);
  if (!Number.isFinite(policy.jitter) || policy.jitter < 0 || policy.jitter > 1)
    problems.push(`jitter must be between 0 and 1, got ${policy.jitter}`);
  if (problems.length > 0) throw new RangeError(`invalid receive back-off: ${problems.join('; ')}`);
  return policy;
}

/**
 * The wait before retry number `retry` (1-based): the util's back-off ({@link backoffDelayMs}),
 * `initialMs × multiplier^(retry-1)` capped at `maxMs`, then shortened by up to `jitter` of itself
 * according to `random`. A retry below 1 counts as the first and `random` is clamped to 0–1, so a
 * caller's off-by-one or a bad random source can never make a wait shorter than the policy allows.
 */
export function receiveBackoffDelayMs(policy: ReceiveBackoffPolicy, retry: number, random: number): number {
  const pause = backoffDelayMs(
    {
      initialDelayMs: policy.initialMs,
      multiplier: policy.multiplier,
      maxDelayMs: policy.maxMs,
      jitter: policy.jitter,
    },
    Math.max(1, Math.floor(retry)),
    () => Math.min(Math.max(random, 0), 1),
  );
  return Math.round(pause);
}
