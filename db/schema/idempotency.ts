// Idempotency keys: a create sent with `Idempotency-Key` is recorded per tenant and key, so that a retry of it
// answers the first response instead of creating a second object (api/idempotency/, docs/idempotency.md).
// A row is in flight (response_status null, held under a lease renewed while the request runs) or completed;
// completion is written in the same transaction as the object the request created.
import { sql } from "drizzle-orm";
import { boolean, check, index, integer, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { tz } from "./columns.ts";
import { tenants } from "./tenants.ts";

export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    /** The client's key, as sent (at most MAX_IDEMPOTENCY_KEY_CHARS printable ASCII characters). */
    key: text("key").notNull(),
    method: text("method").notNull(),
    /** Path and query of the first request. */
    path: text("path").notNull(),
    /** sha256 of the request (api/idempotency/fingerprint.ts); null while a streamed body is still arriving. */
    requestHash: text("request_hash"),
    /** Names the request holding the row in flight: only it may complete, renew or release the row. */
    token: text("token").notNull(),
    lockedUntil: tz("locked_until").notNull(),
    responseStatus: integer("response_status"),
    /** The response body exactly as sent, or sealed (encrypted) when it holds a secret. */
    responseBody: text("response_body"),
    responseSealed: boolean("response_sealed").notNull().default(false),
    createdAt: tz("created_at").notNull().defaultNow(),
    expiresAt: tz("expires_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.key] }),
    index("idempotency_keys_tenant_expires_idx").on(t.tenantId, t.expiresAt),
    check(
      "idempotency_keys_completed_check",
      sql`(${t.responseStatus} is null) = (${t.responseBody} is null)`,
    ),
  ],
);

export type IdempotencyKeyRow = typeof idempotencyKeys.$inferSelect;
