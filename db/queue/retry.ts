// The one retry-delay function. A job that failed transiently, or whose worker vanished (lease expired), waits
// this long before it can be claimed again: exponential in the attempt number, capped, and deterministic so the
// schedule is testable and the rescuer's SQL can receive it as a precomputed array.

export interface RetryPolicy {
  /** Delay after the first failed attempt, in seconds. */
  baseSeconds: number;
  /** Upper bound for any delay, in seconds. */
  maxSeconds: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseSeconds: 5, maxSeconds: 600 };

/** Seconds to wait after `attempt` (1-based: the attempt that just failed) before the next claim: base·2^(attempt−1), capped. */
export function retryDelaySeconds(attempt: number, policy: RetryPolicy = DEFAULT_RETRY_POLICY): number {
  if (!Number.isInteger(attempt) || attempt < 1)
    throw new RangeError(`attempt must be an integer >= 1, got ${attempt}`);
  return Math.min(policy.baseSeconds * 2 ** (attempt - 1), policy.maxSeconds);
}

/** The delays for attempts 1..maxAttempts, as the SQL statements take them (`$n::float8[]`, indexed by attempts). */
export function retrySchedule(maxAttempts: number, policy: RetryPolicy = DEFAULT_RETRY_POLICY): number[] {
  return Array.from({ length: Math.max(1, maxAttempts) }, (_, i) => retryDelaySeconds(i + 1, policy));
}
