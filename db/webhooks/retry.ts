// The one retry schedule of webhook deliveries, as Standard Webhooks/Svix document theirs: element k is the
// wait before attempt k+1, counted from the failure of attempt k (the first attempt goes at once). After the
// last attempt fails, the delivery is marked failed. Every attempt of a delivery carries the same webhook-id.

/** Immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: 8 attempts over about 27.6 hours. */
export const DEFAULT_WEBHOOK_RETRY_SCHEDULE: readonly number[] = [0, 5, 300, 1800, 7200, 18000, 36000, 36000];

/**
 * Seconds to wait before the next attempt after attempt `failedAttempt` (1-based) failed, or null when it was
 * the last one the schedule allows.
 */
export function nextAttemptDelaySeconds(
  failedAttempt: number,
  schedule: readonly number[] = DEFAULT_WEBHOOK_RETRY_SCHEDULE,
): number | null {
  if (!Number.isInteger(failedAttempt) || failedAttempt < 1)
    throw new RangeError(`attempt must be an integer >= 1, got ${failedAttempt}`);
  return failedAttempt < schedule.length ? schedule[failedAttempt]! : null;
}
