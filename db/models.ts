// Model rows: which models a tenant may use and where their Hugging Face files are stored.
import { and, asc, eq, inArray } from "drizzle-orm";
import type { Db } from "./client.ts";
import { newId } from "./ids.ts";
import { type ModelRow, models, SYSTEM_OWNER } from "./schema/models.ts";

export function modelStoragePrefix(owner: string, rowId: string): string {
  return `models/${owner}/${rowId}/`;
}

/** A model visible to the tenant: its own, or a built-in one. */
export async function findModel(db: Db, tenantId: string, name: string): Promise<ModelRow | undefined> {
  const rows = await db
    .select()
    .from(models)
    .where(and(eq(models.name, name), inArray(models.owner, [tenantId, SYSTEM_OWNER])));
  // A tenant's own model wins over a built-in of the same name (registration forbids that, but be explicit).
  return rows.find((r) => r.owner === tenantId) ?? rows[0];
}

export async function listModels(db: Db, tenantId: string): Promise<ModelRow[]> {
  return db
    .select()
    .from(models)
    .where(inArray(models.owner, [tenantId, SYSTEM_OWNER]))
    .orderBy(asc(models.createdAt), asc(models.name));
}

/** A model row to insert; `id` defaults to a new one (pass the one used in `modelStoragePrefix` when the files
 * were stored first). */
export type NewModel = Omit<typeof models.$inferInsert, "id" | "createdAt"> & { id?: string };

/** Inserts a model; returns undefined when (owner, name) already exists. */
export async function insertModel(db: Db, m: NewModel): Promise<ModelRow | undefined> {
  const [row] = await db
    .insert(models)
    .values({ ...m, id: m.id ?? newId("mdl_"), parent: m.parent ?? null })
    .onConflictDoNothing({ target: [models.owner, models.name] })
    .returning();
  return row;
}

/**
 * Inserts a model or, when (owner, name) exists, describes it anew in place: the row keeps its id (jobs refer to
 * it) and creation time. For the built-in model, whose shipped files may change between releases.
 */
export async function upsertModel(db: Db, m: NewModel): Promise<ModelRow> {
  const { id, name, owner, ...described } = m;
  const [row] = await db
    .insert(models)
    .values({ ...m, id: id ?? newId("mdl_"), parent: m.parent ?? null })
    .onConflictDoUpdate({
      target: [models.owner, models.name],
      set: { ...described, parent: m.parent ?? null },
    })
    .returning();
  return row!;
}

/** Removes one of the tenant's own models (never a built-in one); false when it has none by that id. */
export async function deleteModel(db: Db, owner: string, rowId: string): Promise<boolean> {
  const rows = await db
    .delete(models)
    .where(and(eq(models.id, rowId), eq(models.owner, owner)))
    .returning({ id: models.id });
  return rows.length > 0;
}

export { SYSTEM_OWNER };
