// Idempotent creates (docs/idempotency.md). A create sent with an Idempotency-Key claims the key for its tenant
// before it runs; the create's own transaction records its response (commit.ts), so the object and the record
// exist together or not at all. A retry with the same request gets that response again and creates nothing;
// the same key on another request is a 422; a retry while the first still runs is a 409 the client retries.
// A request that fails records nothing: the key is released, and a corrected request may use it.

import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { claimKey, type IdempotencyKeyRow, releaseKey, renewKey } from "../../db/idempotency.ts";
import { randomToken } from "../../db/ids.ts";
import { secretBox } from "../../db/webhooks/secrets.ts";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { jsonFingerprint } from "./fingerprint.ts";
import { IDEMPOTENCY_HEADER, idempotencyKeyOf, idempotencyKeyParameter } from "./key.ts";

/**
 * How long an in-flight key is held without renewal; renewed every third of it while its request runs. A
 * retry after its holder died waits at most this long; the holder's create never committed, so the retry runs.
 */
export const IN_FLIGHT_LEASE_SECONDS = 30;

/** The statuses a create's API document lists for its Idempotency-Key. */
export const IDEMPOTENCY_STATUSES = [409, 422] as const;

/** A create's key, held in flight by this request until `commitCreate` completes it. */
export interface HeldKey {
  kind: "held";
  tenantId: string;
  key: string;
  token: string;
  /** null for a streamed body: the fingerprint is known once the body has been received. */
  requestHash: string | null;
  /** The response holds a secret: stored sealed. */
  sealed: boolean;
  completed: boolean;
}

/** A streamed create whose key already has a response: replayed if the body, once received, is the same. */
export interface CompletedKey {
  kind: "completed";
  row: IdempotencyKeyRow;
}

export type IdempotencyState = HeldKey | CompletedKey;

export interface IdempotentOptions {
  /** `json`: the body is read and fingerprinted before the handler; `streamed`: the handler fingerprints it. */
  body: "json" | "streamed";
  /** The response holds a secret (a webhook endpoint's): the stored copy is encrypted. */
  sealed?: boolean;
}

export function reused(row: Pick<IdempotencyKeyRow, "key" | "method" | "path">): ApiError {
  return new ApiError(
    422,
    `Keys for idempotent requests can only be used with the same parameters they were first used with. The ` +
      `${IDEMPOTENCY_HEADER} '${row.key}' was first used for a different ${row.method} ${row.path} request; ` +
      "use a new key for a new request.",
    { param: IDEMPOTENCY_HEADER, code: "idempotency_key_reused" },
  );
}

export function inUse(key: string): ApiError {
  return new ApiError(
    409,
    `A request with the ${IDEMPOTENCY_HEADER} '${key}' is still being processed; retry it in a moment.`,
    { param: IDEMPOTENCY_HEADER, code: "idempotency_key_in_use" },
  );
}

/** Additional data the sealed copy of a response is bound to: it opens only for its own tenant and key. */
export function sealedFor(tenantId: string, key: string): string {
  return `idempotency:${tenantId}:${key}`;
}

/** The recorded response, exactly as first sent. */
export function replayResponse(c: Context<AppEnv>, row: IdempotencyKeyRow): Response {
  const body = row.responseSealed
    ? secretBox(c.var.deps.config.webhooks).open(row.responseBody!, sealedFor(row.tenantId, row.key))
    : row.responseBody!;
  return c.body(body, row.responseStatus as ContentfulStatusCode, {
    "content-type": "application/json",
    "idempotent-replayed": "true",
  });
}

/** Thrown by `commitCreate` when a streamed create turns out to repeat a completed one: answered by onError. */
export class IdempotentReplay extends Error {
  constructor(readonly row: IdempotencyKeyRow) {
    super("idempotent replay");
    this.name = "IdempotentReplay";
  }
}

function idempotent(opts: IdempotentOptions) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const key = idempotencyKeyOf(c);
    if (key === undefined) return next();
    const { db, config } = c.var.deps;
    const url = new URL(c.req.url);
    const method = c.req.method;
    const path = url.pathname + url.search;
    const requestHash =
      opts.body === "json" ? jsonFingerprint(method, path, new Uint8Array(await c.req.arrayBuffer())) : null;
    const held: HeldKey = {
      kind: "held",
      tenantId: c.var.tenant.id,
      key,
      token: randomToken(24),
      requestHash,
      sealed: opts.sealed ?? false,
      completed: false,
    };
    const claim = await claimKey(db.sql, {
      ...held,
      method,
      path,
      leaseSeconds: IN_FLIGHT_LEASE_SECONDS,
      ttlSeconds: config.idempotencyTtlSeconds,
    });
    if (!claim.claimed) {
      const row = claim.row;
      if (row.method !== method || row.path !== path) throw reused(row);
      // Known on both sides (JSON bodies) and different: another request, in flight or not.
      if (requestHash !== null && row.requestHash !== null && row.requestHash !== requestHash)
        throw reused(row);
      if (row.responseStatus === null) throw inUse(key);
      if (requestHash === null) {
        c.set("idempotency", { kind: "completed", row });
        return next();
      }
      c.var.log.info({ idempotency_key: key }, "idempotent request replayed");
      return replayResponse(c, row);
    }

    c.set("idempotency", held);
    const renew = setInterval(
      () => {
        renewKey(db.sql, held, IN_FLIGHT_LEASE_SECONDS).catch((err: unknown) =>
          c.var.log.warn({ err }, "could not renew an idempotency key's lease"),
        );
      },
      (IN_FLIGHT_LEASE_SECONDS * 1000) / 3,
    );
    try {
      await next();
    } finally {
      clearInterval(renew);
      if (!held.completed) {
        if (c.res.ok) c.var.log.error({ path }, "a create answered without recording its idempotency key");
        await releaseKey(db.sql, held).catch((err: unknown) =>
          c.var.log.warn({ err }, "could not release an idempotency key (its lease will run out)"),
        );
      }
    }
  });
}

/**
 * What a create's route adds for idempotency keys: the middleware (before the body's validator) and the
 * header's documentation. Spread into `createRoute`; list IDEMPOTENCY_STATUSES among its error responses.
 */
export function idempotentCreate(opts: IdempotentOptions) {
  return { middleware: idempotent(opts), parameters: [idempotencyKeyParameter] };
}
