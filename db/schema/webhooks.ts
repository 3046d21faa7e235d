// Webhooks: the endpoints a tenant registered, one delivery per (event, endpoint) fanned out from the job
// queue's webhook_outbox (db/schema/jobs.ts), and the log of every attempt. The delivery row doubles as the
// dispatcher's queue entry (status, next_attempt_at, lease columns); see db/webhooks/sql.ts and docs/webhooks.md.
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { tz } from "./columns.ts";
import { webhookOutbox } from "./jobs.ts";
import { tenants } from "./tenants.ts";

export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    /** `we_…` */
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    url: text("url").notNull(),
    /** Event types delivered here; null: every type (db/webhooks/events.ts). */
    events: jsonb("events").$type<string[]>(),
    description: text("description"),
    enabled: boolean("enabled").notNull().default(true),
    /** The signing secret `whsec_…`, encrypted with the configured key (db/webhooks/secrets.ts): never in clear. */
    secretCiphertext: text("secret_ciphertext").notNull(),
    /** After a rotation, the previous secret, still signing beside the new one until previous_secret_expires_at. */
    previousSecretCiphertext: text("previous_secret_ciphertext"),
    previousSecretExpiresAt: tz("previous_secret_expires_at"),
    /** First failed delivery since the last success: an endpoint failing for long enough is disabled. */
    failingSince: tz("failing_since"),
    /** Why the service disabled the endpoint (null when enabled, or when the tenant disabled it). */
    disabledReason: text("disabled_reason"),
    createdAt: tz("created_at").notNull().defaultNow(),
    updatedAt: tz("updated_at").notNull().defaultNow(),
  },
  (t) => [index("webhook_endpoints_tenant_idx").on(t.tenantId, t.createdAt, t.id)],
);

export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    /** `whdel_…` */
    id: text("id").primaryKey(),
    /** The event (the outbox row): its id is the `webhook-id` header of every attempt. */
    eventId: text("event_id")
      .notNull()
      .references(() => webhookOutbox.id, { onDelete: "cascade" }),
    endpointId: text("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    /** The job the event is about (null for test events): deliveries of one job to one endpoint go in order. */
    jobId: text("job_id"),
    /** The event's created_at, copied: the order of a job's deliveries. */
    eventCreatedAt: tz("event_created_at").notNull(),
    /** db/webhooks/sql.ts describes the states. */
    status: text("status").notNull().default("waiting"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: tz("next_attempt_at").notNull().defaultNow(),
    lockedBy: text("locked_by"),
    lockedUntil: tz("locked_until"),
    lastError: text("last_error"),
    createdAt: tz("created_at").notNull().defaultNow(),
    finishedAt: tz("finished_at"),
  },
  (t) => [
    check(
      "webhook_deliveries_status_check",
      sql`${t.status} in ('waiting', 'pending', 'delivering', 'succeeded', 'failed')`,
    ),
    uniqueIndex("webhook_deliveries_event_endpoint_idx").on(t.eventId, t.endpointId),
    index("webhook_deliveries_due_idx").on(t.nextAttemptAt).where(sql`status in ('pending', 'delivering')`),
    index("webhook_deliveries_order_idx")
      .on(t.endpointId, t.jobId, t.eventCreatedAt)
      .where(sql`status in ('waiting', 'pending', 'delivering')`),
    index("webhook_deliveries_waiting_idx").on(t.eventCreatedAt).where(sql`status = 'waiting'`),
    index("webhook_deliveries_endpoint_idx").on(t.endpointId, t.createdAt, t.id),
  ],
);

/** One row per HTTP attempt: what `GET /v1/webhook_endpoints/{id}/deliveries` lists. */
export const webhookDeliveryAttempts = pgTable(
  "webhook_delivery_attempts",
  {
    /** Insertion order, for listing newest first. */
    seq: bigint("seq", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    /** `whatt_…` */
    id: text("id").notNull(),
    deliveryId: text("delivery_id")
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: "cascade" }),
    endpointId: text("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    attempt: integer("attempt").notNull(),
    startedAt: tz("started_at").notNull(),
    /** HTTP status of the answer; null when none came (refused, timeout, blocked address). */
    httpStatus: integer("http_status"),
    latencyMs: integer("latency_ms").notNull(),
    /** The first bytes of the answer's body (db/webhooks/retry.ts owns the limit). */
    responseBody: text("response_body"),
    error: text("error"),
  },
  (t) => [
    uniqueIndex("webhook_delivery_attempts_id_idx").on(t.id),
    index("webhook_delivery_attempts_endpoint_idx").on(t.endpointId, t.seq),
  ],
);

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
export type WebhookDeliveryAttemptRow = typeof webhookDeliveryAttempts.$inferSelect;
