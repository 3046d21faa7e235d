// Files as rows plus objects. The object is written first and the row inserted after, so every listed file is
// readable; deleting removes the row first, so a file never shows without its bytes.
import { and, eq, gt, isNull, or, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { newId } from "./ids.ts";
import { type FileRow, files } from "./schema/files.ts";
import type { Body, ObjectStorage } from "./storage/types.ts";

export function fileStorageKey(tenantId: string, fileId: string): string {
  return `files/${tenantId}/${fileId}`;
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

export interface StoreFileInput {
  tenantId: string;
  filename: string;
  purpose: string;
  body: Body;
  contentType?: string;
  size?: number;
}

/** Stores bytes and records the file (e.g. the worker's result files: adapter archives, metrics CSV). */
export async function storeFile(
  deps: { db: Db; storage: ObjectStorage },
  input: StoreFileInput,
): Promise<FileRow> {
  const id = newId("file-");
  const storageKey = fileStorageKey(input.tenantId, id);
  const contentType = input.contentType ?? "application/octet-stream";
  const { size } = await deps.storage.put(storageKey, input.body, { contentType, size: input.size });
  try {
    const [row] = await deps.db
      .insert(files)
      .values({
        id,
        tenantId: input.tenantId,
        filename: input.filename,
        purpose: input.purpose,
        bytes: size,
        storageKey,
        contentType,
      })
      .returning();
    return row!;
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
