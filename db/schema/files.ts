// Files: datasets uploaded by tenants and result files written by the worker. The bytes live in object storage
// under `storage_key`; the row is created only once the object is complete, so a listed file is always readable.
import { bigint, index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { tenants } from "./tenants.ts";

export const files = pgTable(
  "files",
  {
    /** `file-…` */
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    filename: text("filename").notNull(),
    /** OpenAI's purposes: fine-tune, fine-tune-results, assistants, batch, vision, user_data, evals. */
    purpose: text("purpose").notNull(),
    bytes: bigint("bytes", { mode: "number" }).notNull(),
    /** OpenAI's deprecated status field: `uploaded`, `processed` or `error`; ours are always `processed`. */
    status: text("status").notNull().default("processed"),
    storageKey: text("storage_key").notNull(),
    contentType: text("content_type").notNull().default("application/octet-stream"),
    /** For fine-tune datasets: the number of examples and their format, found while validating. */
    examples: integer("examples"),
    format: text("format"),
    metadata: jsonb("metadata").$type<Record<string, unknown>>(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
  },
  (t) => [index("files_tenant_created_idx").on(t.tenantId, t.createdAt, t.id)],
);

export type FileRow = typeof files.$inferSelect;
