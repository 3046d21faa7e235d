import { describe, expect, it } from "vitest";
import { DEFAULT_WEBHOOK_RETRY_SCHEDULE, nextAttemptDelaySeconds } from "../../../db/webhooks/retry.ts";

describe("the webhook retry schedule", () => {
  it("is Standard Webhooks'/Svix's: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h", () => {
    expect(DEFAULT_WEBHOOK_RETRY_SCHEDULE).toEqual([
      0,
      5,
      5 * 60,
      30 * 60,
      2 * 3600,
      5 * 3600,
      10 * 3600,
      10 * 3600,
    ]);
    const waits = [1, 2, 3, 4, 5, 6, 7].map((n) => nextAttemptDelaySeconds(n));
    expect(waits).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
    // 8 attempts spread over 27 h 35 min 5 s.
    expect(waits.reduce((a, b) => a! + b!, 0)).toBe(27 * 3600 + 35 * 60 + 5);
  });

  it("gives up after the last attempt", () => {
    expect(nextAttemptDelaySeconds(8)).toBeNull();
    expect(nextAttemptDelaySeconds(9)).toBeNull();
    expect(nextAttemptDelaySeconds(1, [0])).toBeNull();
  });

  it("takes an injected schedule", () => {
    expect(nextAttemptDelaySeconds(1, [0, 0.05, 2])).toBe(0.05);
    expect(nextAttemptDelaySeconds(2, [0, 0.05, 2])).toBe(2);
    expect(nextAttemptDelaySeconds(3, [0, 0.05, 2])).toBeNull();
  });

  it("rejects attempt numbers that are not 1-based integers", () => {
    expect(() => nextAttemptDelaySeconds(0)).toThrow(RangeError);
    expect(() => nextAttemptDelaySeconds(1.5)).toThrow(RangeError);
  });
});
