// The per-API-key rate limit: headers on every /v1 answer, a 429 in OpenAI's shape past the limit, refill over
// time, keys independent of each other, bounded memory, and the official client's view of it.
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { formatResetDuration, RateLimiter } from "../../api/rate-limit.ts";
import { loadConfig } from "../../common/config.ts";
import { type RunningServer, startServer } from "../../infra/server.ts";
import { createTestApp, type TestApp } from "../support/app.ts";

describe("rate limit through app.request (3 requests per minute)", () => {
  let t: TestApp;
  const start = Date.parse("2026-01-01T00:00:00Z");
  beforeAll(async () => {
    t = await createTestApp({ env: { GRADES_RATE_LIMIT_PER_MINUTE: "3" } });
  });
  afterAll(async () => {
    await t.close();
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  // Only Date is faked, so the database's own timers keep running.
  const at = (ms: number) => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(start + ms);
  };

  it("counts down the remaining requests, then answers 429 with OpenAI's error and headers", async () => {
    at(0);
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await t.request("/v1/models");
      expect(res.status).toBe(200);
      expect(res.headers.get("x-ratelimit-limit-requests")).toBe("3");
      remaining.push(res.headers.get("x-ratelimit-remaining-requests") ?? "");
    }
    expect(remaining).toEqual(["2", "1", "0"]);

    const res = await t.request("/v1/models");
    expect(res.status).toBe(429);
    expect(await res.json()).toEqual({
      error: {
        message: expect.stringContaining("Limit 3"),
        type: "requests",
        param: null,
        code: "rate_limit_exceeded",
      },
    });
    // One token comes back every 20 s; the bucket is full again after a minute.
    expect(res.headers.get("retry-after")).toBe("20");
    expect(res.headers.get("retry-after-ms")).toBe("20000");
    expect(res.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    expect(res.headers.get("x-ratelimit-reset-requests")).toBe("1m0s");
  });

  it("lets one more request through after the refill time, and only one", async () => {
    at(19_999);
    expect((await t.request("/v1/models")).status).toBe(429);
    at(20_000);
    expect((await t.request("/v1/models")).status).toBe(200);
    const again = await t.request("/v1/models");
    expect(again.status).toBe(429);
    expect(again.headers.get("retry-after")).toBe("20");
  });

  it("limits each key on its own", async () => {
    at(20_000);
    const other = await t.addTenant("rate-other");
    const res = await t.request("/v1/models", { headers: { authorization: `Bearer ${other.apiKey}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-ratelimit-remaining-requests")).toBe("2");
  });

  it("checks the key first: a wrong key is a 401, and /health is not limited", async () => {
    at(20_000);
    const res = await t.request("/v1/models", { headers: { authorization: "Bearer sk-wrong-key-123" } });
    expect(res.status).toBe(401);
    expect(res.headers.get("x-ratelimit-limit-requests")).toBeNull();
    for (let i = 0; i < 5; i++) expect((await t.app.request("/health")).status).toBe(200);
  });

  it("puts the headers on error answers of an allowed request too", async () => {
    at(120_000);
    const res = await t.request("/v1/files/file-doesnotexist");
    expect(res.status).toBe(404);
    expect(res.headers.get("x-ratelimit-remaining-requests")).toBe("2");
  });
});

describe("rate limit configuration", () => {
  it("is off with GRADES_RATE_LIMIT_PER_MINUTE=0: no 429 and no headers", async () => {
    const t = await createTestApp({ env: { GRADES_RATE_LIMIT_PER_MINUTE: "0" } });
    try {
      for (let i = 0; i < 10; i++) {
        const res = await t.request("/v1/models");
        expect(res.status).toBe(200);
        expect(res.headers.get("x-ratelimit-limit-requests")).toBeNull();
      }
    } finally {
      await t.close();
    }
  });

  it("defaults to 600 per minute and names a bad value", () => {
    expect(loadConfig({}).rateLimitPerMinute).toBe(600);
    expect(() => loadConfig({ GRADES_RATE_LIMIT_PER_MINUTE: "-1" })).toThrow(/GRADES_RATE_LIMIT_PER_MINUTE/);
    expect(() => loadConfig({ GRADES_RATE_LIMIT_PER_MINUTE: "lots" })).toThrow(
      /GRADES_RATE_LIMIT_PER_MINUTE/,
    );
  });
});

describe("RateLimiter", () => {
  it("forgets keys idle long enough for their bucket to be full again", () => {
    let now = 0;
    const limiter = new RateLimiter({ perMinute: 10, now: () => now });
    for (let i = 0; i < 1000; i++) limiter.take(`key-${i}`);
    expect(limiter.size).toBe(1000);
    now = 30_000;
    limiter.take("key-0");
    expect(limiter.size).toBe(1000);
    now = 60_000;
    limiter.take("fresh");
    // key-0 was used at 30 s, so it is still tracked; all others were idle a full minute.
    expect(limiter.size).toBe(2);
  });

  it("never tracks more than maxKeys, dropping the least recently seen", () => {
    const limiter = new RateLimiter({ perMinute: 1, now: () => 0, maxKeys: 3 });
    for (const k of ["a", "b", "c"]) limiter.take(k);
    limiter.take("a");
    limiter.take("d"); // drops b, the least recently seen
    expect(limiter.size).toBe(3);
    expect(limiter.take("a").allowed).toBe(false);
    expect(limiter.take("b").allowed).toBe(true);
  });

  it("refills continuously at perMinute / 60 s, up to the limit", () => {
    let now = 0;
    const limiter = new RateLimiter({ perMinute: 60, now: () => now });
    for (let i = 0; i < 60; i++) expect(limiter.take("k").allowed).toBe(true);
    const denied = limiter.take("k");
    expect(denied).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 1000, resetMs: 60_000 });
    now = 2_500;
    expect(limiter.take("k")).toMatchObject({ allowed: true, remaining: 1 });
    now = 1_000_000;
    expect(limiter.take("k")).toMatchObject({ allowed: true, remaining: 59, resetMs: 1000 });
  });

  it("formats reset durations as OpenAI does", () => {
    expect(formatResetDuration(120)).toBe("120ms");
    expect(formatResetDuration(1000)).toBe("1s");
    expect(formatResetDuration(20_000)).toBe("20s");
    expect(formatResetDuration(360_000)).toBe("6m0s");
    expect(formatResetDuration(61_500)).toBe("1m2s");
  });
});

describe("the official openai client against a rate-limited live server (60 per minute)", () => {
  let t: TestApp;
  let server: RunningServer;
  beforeAll(async () => {
    t = await createTestApp({ env: { GRADES_RATE_LIMIT_PER_MINUTE: "60" } });
    server = await startServer(t.deps, { port: 0, host: "127.0.0.1" });
  });
  afterAll(async () => {
    await server.close();
    await t.close();
  });

  it("gets a RateLimitError without retries, and succeeds by waiting retry-after with them", async () => {
    const noRetry = new OpenAI({ apiKey: t.apiKey, baseURL: `${server.url}/v1`, maxRetries: 0 });
    // Requests until the first refusal: 60 at least, a few more if the machine is slow enough for the bucket
    // to refill meanwhile (one per second).
    let err: unknown;
    let sent = 0;
    while (err === undefined && sent < 300) {
      sent++;
      err = await noRetry.models.list().then(
        () => undefined,
        (e: unknown) => e,
      );
    }
    expect(sent).toBeGreaterThan(60);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const rle = err as InstanceType<typeof OpenAI.RateLimitError>;
    expect(rle.status).toBe(429);
    expect(rle.code).toBe("rate_limit_exceeded");
    expect(rle.type).toBe("requests");
    expect(Number(rle.headers?.get("retry-after"))).toBeGreaterThanOrEqual(1);

    // One request per second refills; the client honours retry-after and gets through.
    const retrying = new OpenAI({ apiKey: t.apiKey, baseURL: `${server.url}/v1`, maxRetries: 3 });
    const page = await retrying.models.list();
    expect(Array.isArray(page.data)).toBe(true);
  });
});
