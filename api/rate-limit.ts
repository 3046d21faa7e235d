// Per-API-key request rate limit: a token bucket per key, answered as OpenAI does (429 with
// `rate_limit_exceeded`, `retry-after` and the `x-ratelimit-*-requests` headers on every /v1 response).
//
// The buckets live in this process's memory, so with several API instances behind a load balancer each
// instance enforces the limit on its own: the effective limit is per instance. That keeps the hot path free of
// a database round trip; a shared limit would need a shared store.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./env.ts";
import { ApiError, errorResponse } from "./errors.ts";

export interface RateLimitOptions {
  /** Requests per minute per key; also the burst size. 0 disables the limit. */
  perMinute: number;
  /** Milliseconds clock, injectable for tests. */
  now?: () => number;
  /** Upper bound on tracked keys; the least recently seen are dropped first. */
  maxKeys?: number;
}

export interface RateDecision {
  allowed: boolean;
  limit: number;
  /** Whole requests left after this one. */
  remaining: number;
  /** Milliseconds until the bucket is full again (the limit "resets to its initial state"). */
  resetMs: number;
  /** Milliseconds until the next request would be allowed (0 when allowed). */
  retryAfterMs: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * Token buckets keyed by API key id. A bucket holds up to `perMinute` tokens and refills continuously at
 * `perMinute / 60 s`; each request takes one. A key idle long enough for its bucket to be full again is
 * indistinguishable from a new key, so it is evicted: memory stays bounded by the keys active in the last
 * minute (and by `maxKeys`).
 */
export class RateLimiter {
  readonly perMinute: number;
  private readonly now: () => number;
  private readonly maxKeys: number;
  private readonly refillPerMs: number;
  private readonly fullAfterMs = 60_000;
  /** Ordered by last use (re-inserted on every touch), so the idle keys are at the front. */
  private readonly buckets = new Map<string, Bucket>();

  constructor(opts: RateLimitOptions) {
    this.perMinute = opts.perMinute;
    this.now = opts.now ?? (() => Date.now());
    this.maxKeys = opts.maxKeys ?? 100_000;
    this.refillPerMs = opts.perMinute / this.fullAfterMs;
  }

  get enabled(): boolean {
    return this.perMinute > 0;
  }

  /** Number of keys currently tracked. */
  get size(): number {
    return this.buckets.size;
  }

  take(key: string): RateDecision {
    const now = this.now();
    this.evictIdle(now);
    const limit = this.perMinute;
    const prev = this.buckets.get(key);
    const tokens = prev
      ? Math.min(limit, prev.tokens + Math.max(0, now - prev.updatedAt) * this.refillPerMs)
      : limit;
    const allowed = tokens >= 1;
    const left = allowed ? tokens - 1 : tokens;
    this.buckets.delete(key);
    this.buckets.set(key, { tokens: left, updatedAt: now });
    if (this.buckets.size > this.maxKeys) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    return {
      allowed,
      limit,
      remaining: Math.floor(left),
      resetMs: Math.ceil((limit - left) / this.refillPerMs),
      retryAfterMs: allowed ? 0 : Math.ceil((1 - left) / this.refillPerMs),
    };
  }

  private evictIdle(now: number): void {
    for (const [key, b] of this.buckets) {
      if (now - b.updatedAt < this.fullAfterMs) break;
      this.buckets.delete(key);
    }
  }
}

/** OpenAI's duration format for `x-ratelimit-reset-requests`: `1s`, `6m0s`, `120ms`. */
export function formatResetDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.ceil(ms))}ms`;
  const totalSeconds = Math.ceil(ms / 1000);
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`;
}

/** Mounted after requireApiKey, so the tenant's key id is known. */
export function rateLimit(limiter: RateLimiter) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!limiter.enabled) return next();
    const d = limiter.take(c.var.tenant.keyId);
    const headers = {
      "x-ratelimit-limit-requests": String(d.limit),
      "x-ratelimit-remaining-requests": String(d.remaining),
      "x-ratelimit-reset-requests": formatResetDuration(d.resetMs),
    };
    if (!d.allowed) {
      for (const [k, v] of Object.entries(headers)) c.header(k, v);
      const seconds = Math.ceil(d.retryAfterMs / 1000);
      c.header("retry-after", String(seconds));
      c.header("retry-after-ms", String(d.retryAfterMs));
      c.var.log.warn({ limit: d.limit }, "rate limit exceeded");
      return errorResponse(
        c,
        new ApiError(
          429,
          `Rate limit reached for requests per min (RPM): Limit ${d.limit}. Please try again in ${seconds}s.`,
          { type: "requests", code: "rate_limit_exceeded" },
        ),
      );
    }
    await next();
    // Set after the handler so they also land on responses a handler builds itself (e.g. file downloads).
    for (const [k, v] of Object.entries(headers)) c.header(k, v);
  });
}
