// The uploads and upload_parts tables (the Uploads API): an upload collects parts, whose bytes sit under the
// upload's own prefix until completion assembles them into one file and removes the prefix.
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { newId } from "./ids.ts";
import { type UploadPartRow, type UploadRow, uploadParts, uploads } from "./schema/uploads.ts";

export function uploadPartsPrefix(tenantId: string, uploadId: string): string {
  return `uploads/${tenantId}/${uploadId}/`;
}

export async function findUpload(db: Db, tenantId: string, uploadId: string): Promise<UploadRow | undefined> {
  const [row] = await db
    .select()
    .from(uploads)
    .where(and(eq(uploads.id, uploadId), eq(uploads.tenantId, tenantId)));
  return row;
}

export type NewUpload = Omit<typeof uploads.$inferInsert, "id" | "status" | "fileId" | "createdAt">;

export async function createUpload(db: Db, upload: NewUpload): Promise<UploadRow> {
  const [row] = await db
    .insert(uploads)
    .values({ ...upload, id: newId("upload_") })
    .returning();
  return row!;
}

/** A new part's id and the key its bytes go under (write them, then `insertPart`). */
export function newPartKey(upload: UploadRow): { id: string; storageKey: string } {
  const id = newId("part_");
  return { id, storageKey: `${uploadPartsPrefix(upload.tenantId, upload.id)}${id}` };
}

/** Records a part whose bytes are stored; parts are numbered in order of arrival. */
export async function insertPart(
  db: Db,
  part: { id: string; uploadId: string; bytes: number; storageKey: string },
): Promise<UploadPartRow> {
  const [row] = await db
    .insert(uploadParts)
    .values({
      ...part,
      seq: sql`(select coalesce(max(seq), 0) + 1 from upload_parts where upload_id = ${part.uploadId})`,
    })
    .returning();
  return row!;
}

export async function listParts(db: Db, uploadId: string): Promise<UploadPartRow[]> {
  return db.select().from(uploadParts).where(eq(uploadParts.uploadId, uploadId));
}

/**
 * pending → completed (with its file) or → cancelled. Guarded by status, so of two racing requests one wins;
 * undefined for the other.
 */
export async function finishUpload(
  db: Db,
  uploadId: string,
  to: { status: "completed"; fileId: string } | { status: "cancelled" },
): Promise<UploadRow | undefined> {
  const [row] = await db
    .update(uploads)
    .set(to)
    .where(and(eq(uploads.id, uploadId), eq(uploads.status, "pending")))
    .returning();
  return row;
}
