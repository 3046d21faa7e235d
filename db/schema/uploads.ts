// The Uploads API: a large file sent in parts, assembled into one file on completion.
import { bigint, index, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { files } from "./files.ts";
import { tenants } from "./tenants.ts";

export const uploads = pgTable(
  "uploads",
  {
    /** `upload_…` */
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    filename: text("filename").notNull(),
    purpose: text("purpose").notNull(),
    /** The size the client announced; completion checks the parts add up to it. */
    bytes: bigint("bytes", { mode: "number" }).notNull(),
    mimeType: text("mime_type").notNull(),
    /** pending → completed | cancelled | expired */
    status: text("status").notNull().default("pending"),
    fileId: text("file_id").references(() => files.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    /** The completed file's `expires_after` in seconds from its creation (null: it does not expire). */
    fileExpiresAfter: integer("file_expires_after"),
  },
  (t) => [index("uploads_tenant_idx").on(t.tenantId)],
);

export const uploadParts = pgTable(
  "upload_parts",
  {
    /** `part_…` */
    id: text("id").primaryKey(),
    uploadId: text("upload_id")
      .notNull()
      .references(() => uploads.id, { onDelete: "cascade" }),
    /** Order of arrival; completion uses the order given by the client's part_ids. */
    seq: integer("seq").notNull(),
    bytes: bigint("bytes", { mode: "number" }).notNull(),
    storageKey: text("storage_key").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("upload_parts_upload_idx").on(t.uploadId)],
);

export type UploadRow = typeof uploads.$inferSelect;
export type UploadPartRow = typeof uploadParts.$inferSelect;
