// The idempotency_keys table (db/schema/idempotency.ts): one statement per operation. A row is claimed in flight
// under a token and a lease; only the request holding the token completes, renews or releases it, so a request
// whose lease ran out (its process stalled or died, and a retry took the key over) can no longer touch it.
import type { SqlExecutor } from "./client.ts";
import { rowMapper } from "./rows.ts";
import { type IdempotencyKeyRow, idempotencyKeys } from "./schema/idempotency.ts";

export type { IdempotencyKeyRow };

const toRow = rowMapper(idempotencyKeys);

/** Expired rows of a tenant removed by each claim: garbage is cleared as fast as it can be made. */
const PURGE_BATCH = 100;

export interface Claim {
  tenantId: string;
  key: string;
  method: string;
  path: string;
  /** null: known only once the streamed body has been read (set by `completeKey`). */
  requestHash: string | null;
  token: string;
  leaseSeconds: number;
  ttlSeconds: number;
}

/**
 * Takes the key for this request: a new row, or one whose time is up (expired, or in flight with its lease run
 * out: a request that died before completing created nothing, as completion commits with the created object).
 * Returns the row this request now holds, or else the row that another request holds or completed.
 */
export async function claimKey(
  sql: SqlExecutor,
  claim: Claim,
): Promise<{ claimed: true } | { claimed: false; row: IdempotencyKeyRow }> {
  await sql.query(
    `delete from idempotency_keys where ctid in (
       select ctid from idempotency_keys where tenant_id = $1 and expires_at <= now() limit ${PURGE_BATCH})`,
    [claim.tenantId],
  );
  for (let tries = 0; tries < 3; tries++) {
    const taken = await sql.query(
      `insert into idempotency_keys
         (tenant_id, key, method, path, request_hash, token, locked_until, expires_at)
       values ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7), now() + make_interval(secs => $8))
       on conflict (tenant_id, key) do update set
         method = excluded.method, path = excluded.path, request_hash = excluded.request_hash,
         token = excluded.token, locked_until = excluded.locked_until, expires_at = excluded.expires_at,
         response_status = null, response_body = null, response_sealed = false, created_at = now()
       where idempotency_keys.expires_at <= now()
          or (idempotency_keys.response_status is null and idempotency_keys.locked_until <= now())
       returning token`,
      [
        claim.tenantId,
        claim.key,
        claim.method,
        claim.path,
        claim.requestHash,
        claim.token,
        claim.leaseSeconds,
        claim.ttlSeconds,
      ],
    );
    if (taken.length > 0) return { claimed: true };
    const [held] = await sql.query(
      "select * from idempotency_keys where tenant_id = $1 and key = $2 and expires_at > now()",
      [claim.tenantId, claim.key],
    );
    // Gone between the two statements (released, or expired just now): try to take it again.
    if (held) return { claimed: false, row: toRow(held) };
  }
  throw new Error(`idempotency key of tenant ${claim.tenantId} could not be claimed`);
}

/**
 * Records the response of the request holding the key; run it in the transaction that creates the object, so
 * both commit or neither does. Returns false when the request no longer holds the key (its lease ran out).
 */
export async function completeKey(
  tx: SqlExecutor,
  held: { tenantId: string; key: string; token: string },
  response: { requestHash: string; status: number; body: string; sealed: boolean },
): Promise<boolean> {
  const rows = await tx.query(
    `update idempotency_keys set request_hash = $4, response_status = $5, response_body = $6, response_sealed = $7
     where tenant_id = $1 and key = $2 and token = $3 and response_status is null
     returning 1 as done`,
    [
      held.tenantId,
      held.key,
      held.token,
      response.requestHash,
      response.status,
      response.body,
      response.sealed,
    ],
  );
  return rows.length > 0;
}

/** Extends the lease of an in-flight key (while its request runs). */
export async function renewKey(
  sql: SqlExecutor,
  held: { tenantId: string; key: string; token: string },
  leaseSeconds: number,
): Promise<void> {
  await sql.query(
    `update idempotency_keys set locked_until = now() + make_interval(secs => $4)
     where tenant_id = $1 and key = $2 and token = $3 and response_status is null`,
    [held.tenantId, held.key, held.token, leaseSeconds],
  );
}

/** Frees the key of a request that failed, so that a corrected request may use it; a completed key stays. */
export async function releaseKey(
  sql: SqlExecutor,
  held: { tenantId: string; key: string; token: string },
): Promise<void> {
  await sql.query(
    "delete from idempotency_keys where tenant_id = $1 and key = $2 and token = $3 and response_status is null",
    [held.tenantId, held.key, held.token],
  );
}
