// The retry rules as pure functions: which responses are retried, and how long the client waits.
import { describe, expect, it } from "vitest";
import { retryDelayMs, shouldRetryResponse } from "../src/core/retry.ts";

const res = (status: number, headers: Record<string, string> = {}) => new Response(null, { status, headers });

describe("shouldRetryResponse", () => {
  it("retries 408, 409, 429 and 5xx, and nothing else", () => {
    const retried = [400, 401, 403, 404, 408, 409, 413, 422, 429, 500, 502, 503, 504].filter((s) =>
      shouldRetryResponse(res(s)),
    );
    expect(retried).toEqual([408, 409, 429, 500, 502, 503, 504]);
  });

  it("obeys x-should-retry either way", () => {
    expect(shouldRetryResponse(res(409, { "x-should-retry": "false" }))).toBe(false);
    expect(shouldRetryResponse(res(400, { "x-should-retry": "true" }))).toBe(true);
  });
});

describe("retryDelayMs", () => {
  it("waits what retry-after-ms, then retry-after (seconds or a date) asks", () => {
    expect(retryDelayMs(1, new Headers({ "retry-after-ms": "250", "retry-after": "9" }))).toBe(250);
    expect(retryDelayMs(1, new Headers({ "retry-after": "2" }))).toBe(2000);
    const date = new Date(Date.now() + 3000).toUTCString();
    const fromDate = retryDelayMs(1, new Headers({ "retry-after": date }));
    expect(fromDate).toBeGreaterThan(1000);
    expect(fromDate).toBeLessThanOrEqual(3000);
  });

  it("backs off exponentially from 0.5 s to at most 8 s, with up to 25% jitter", () => {
    const none = () => 0;
    const most = () => 1;
    expect([1, 2, 3, 4, 5, 6, 7].map((r) => retryDelayMs(r, undefined, none))).toEqual([
      500, 1000, 2000, 4000, 8000, 8000, 8000,
    ]);
    expect(retryDelayMs(1, undefined, most)).toBe(375);
  });

  it("ignores a wait longer than a minute, or a negative one, and backs off instead", () => {
    expect(retryDelayMs(1, new Headers({ "retry-after": "3600" }), () => 0)).toBe(500);
    expect(retryDelayMs(2, new Headers({ "retry-after-ms": "-5" }), () => 0)).toBe(1000);
  });
});
