// The one retry schedule of webhook deliveries, as Standard Webhooks/Svix document theirs: element k is the
// wait before attempt k+1, counted from the failure of attempt k (the first attempt goes at once). After the
// last attempt fails, the delivery is marked failed. Every attempt of a delivery carries the same webhook-id.
import { DEFAULT_WEBHOOK_RETRY_SCHEDULE } from "../../common/webhooks-config.ts";

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

export { DEFAULT_WEBHOOK_RETRY_SCHEDULE };
