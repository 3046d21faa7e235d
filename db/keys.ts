// Tenants and API keys. A key is `sk-grades-` plus 40 random characters; only its sha256 is stored, so a
// leaked database does not leak usable keys, and the key is shown once, when created.
import { createHash } from "node:crypto";
import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "./client.ts";
import { newId, randomToken } from "./ids.ts";
import { apiKeys, type Tenant, tenants } from "./schema/tenants.ts";

export const KEY_PREFIX = "sk-grades-";

export function hashKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** Returns the tenant named `name`, creating it if needed (safe when two processes race). */
export async function ensureTenant(db: Db, name: string): Promise<Tenant> {
  await db
    .insert(tenants)
    .values({ id: newId("org-"), name })
    .onConflictDoNothing({ target: tenants.name });
  const [row] = await db.select().from(tenants).where(eq(tenants.name, name));
  if (!row) throw new Error(`tenant ${name} could not be created`);
  return row;
}

export interface CreatedKey {
  id: string;
  /** The plain key: show it once, it cannot be recovered. */
  key: string;
  tenant: Tenant;
}

/** Creates a key for a tenant; with `key` given (GRADES_API_KEY), stores that one if not stored yet. */
export async function createApiKey(
  db: Db,
  tenantName: string,
  opts: { key?: string; name?: string } = {},
): Promise<CreatedKey> {
  const tenant = await ensureTenant(db, tenantName);
  const key = opts.key ?? `${KEY_PREFIX}${randomToken(40)}`;
  const keyHash = hashKey(key);
  const [existing] = await db.select().from(apiKeys).where(eq(apiKeys.keyHash, keyHash));
  if (existing) {
    if (existing.tenantId !== tenant.id) throw new Error("this API key already belongs to another tenant");
    return { id: existing.id, key, tenant };
  }
  const id = newId("key_");
  await db.insert(apiKeys).values({
    id,
    tenantId: tenant.id,
    keyHash,
    displayPrefix: key.slice(0, KEY_PREFIX.length + 4),
    name: opts.name ?? null,
  });
  return { id, key, tenant };
}

export interface KeyOwner {
  tenantId: string;
  tenantName: string;
  keyId: string;
}

/** The tenant of a live (not revoked) key, or undefined. */
export async function findKeyOwner(db: Db, key: string): Promise<KeyOwner | undefined> {
  const [row] = await db
    .select({ tenantId: tenants.id, tenantName: tenants.name, keyId: apiKeys.id })
    .from(apiKeys)
    .innerJoin(tenants, eq(tenants.id, apiKeys.tenantId))
    .where(and(eq(apiKeys.keyHash, hashKey(key)), isNull(apiKeys.revokedAt)));
  return row;
}

export async function countKeys(db: Db): Promise<number> {
  const rows = await db.select({ id: apiKeys.id }).from(apiKeys).where(isNull(apiKeys.revokedAt)).limit(1);
  return rows.length;
}

export async function findTenant(db: Db, tenantId: string): Promise<Tenant | undefined> {
  const [row] = await db.select().from(tenants).where(eq(tenants.id, tenantId));
  return row;
}
