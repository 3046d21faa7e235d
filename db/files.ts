// The files table, with the objects its rows point to. The object is written first and the row inserted after,
// so every listed file is readable; deleting removes the row first, so a file never shows without its bytes.
import { and, asc, desc, eq, gt, isNull, or, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { newId } from "./ids.ts";
import { type FileRow, files } from "./schema/files.ts";
import type { Body, ObjectStorage } from "./storage/types.ts";

export type NewFile = typeof files.$inferInsert;

export function fileStorageKey(tenantId: string, fileId: string): string {
  return `files/${tenantId}/${fileId}`;
}

/** A new file's id and the key its bytes go under (write them, then `insertFile`). */
export function newFileKey(tenantId: string): { id: string; storageKey: string } {
  const id = newId("file-");
  return { id, storageKey: fileStorageKey(tenantId, id) };
}

/** A file past its `expires_after` is gone for the API, as at OpenAI (its bytes are removed by deleteFile). */
export const notExpired = () => or(isNull(files.expiresAt), gt(files.expiresAt, sql`now()`));

export async function findFile(db: Db, tenantId: string, fileId: string): Promise<FileRow | undefined> {
  const [row] = await db
    .select()
    .from(files)
    .where(and(eq(files.id, fileId), eq(files.tenantId, tenantId), notExpired()));
  return row;
}

export interface FilePage {
  after?: string | undefined;
  limit: number;
  order: "asc" | "desc";
  purpose?: string | undefined;
}

/** A page of the tenant's live files in creation order, `limit + 1` rows so the caller can tell if more exist. */
export async function listFiles(db: Db, tenantId: string, page: FilePage): Promise<FileRow[]> {
  const conds = [eq(files.tenantId, tenantId), notExpired()];
  if (page.purpose) conds.push(eq(files.purpose, page.purpose));
  if (page.after) {
    const cursor = sql`(select created_at, id from files where id = ${page.after} and tenant_id = ${tenantId})`;
    conds.push(
      page.order === "desc"
        ? sql`(${files.createdAt}, ${files.id}) < ${cursor}`
        : sql`(${files.createdAt}, ${files.id}) > ${cursor}`,
    );
  }
  const dir = page.order === "desc" ? desc : asc;
  return db
    .select()
    .from(files)
    .where(and(...conds))
    .orderBy(dir(files.createdAt), dir(files.id))
    .limit(page.limit + 1);
}

/** Records a file whose bytes are already stored under `storageKey`. */
export async function insertFile(db: Db, file: NewFile): Promise<FileRow> {
  const [row] = await db.insert(files).values(file).returning();
  return row!;
}

export interface StoreFileInput {
  tenantId: string;
  filename: string;
  purpose: string;
  body: Body;
  contentType?: string;
  size?: number;
}

/** Stores bytes and records the file; the bytes are removed again when the row cannot be inserted. */
export async function storeFile(
  deps: { db: Db; storage: ObjectStorage },
  input: StoreFileInput,
): Promise<FileRow> {
  const { id, storageKey } = newFileKey(input.tenantId);
  const contentType = input.contentType ?? "application/octet-stream";
  const { size } = await deps.storage.put(storageKey, input.body, { contentType, size: input.size });
  try {
    return await insertFile(deps.db, {
      id,
      tenantId: input.tenantId,
      filename: input.filename,
      purpose: input.purpose,
      bytes: size,
      storageKey,
      contentType,
    });
  } catch (err) {
    await deps.storage.delete(storageKey);
    throw err;
  }
}

/** Removes the row, then the object; returns false when the tenant has no such file. */
export async function deleteFile(
  deps: { db: Db; storage: ObjectStorage },
  tenantId: string,
  fileId: string,
): Promise<boolean> {
  const [row] = await deps.db
    .delete(files)
    .where(and(eq(files.id, fileId), eq(files.tenantId, tenantId)))
    .returning();
  if (!row) return false;
  await deps.storage.delete(row.storageKey);
  return true;
}
