// The webhook_endpoints table for the API: every query is scoped to the tenant, so another tenant's endpoint
// is simply not found.
import { and, desc, eq, sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import { newId } from "../ids.ts";
import { type WebhookEndpointRow, webhookEndpoints } from "../schema/webhooks.ts";
import { generateSecret, type SecretBox } from "./secrets.ts";

export interface EndpointInput {
  url: string;
  /** null: every event type. */
  events: string[] | null;
  description: string | null;
  enabled: boolean;
}

const own = (tenantId: string, id: string) =>
  and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, id));

/** Creates the endpoint with a new secret; the secret is returned in clear only here. */
export async function createEndpoint(
  db: Db,
  box: SecretBox,
  tenantId: string,
  input: EndpointInput,
): Promise<{ row: WebhookEndpointRow; secret: string }> {
  const id = newId("we_");
  const secret = generateSecret();
  const [row] = await db
    .insert(webhookEndpoints)
    .values({ id, tenantId, ...input, secretCiphertext: box.seal(secret, id) })
    .returning();
  return { row: row!, secret };
}

export async function findEndpoint(
  db: Db,
  tenantId: string,
  id: string,
): Promise<WebhookEndpointRow | undefined> {
  const [row] = await db.select().from(webhookEndpoints).where(own(tenantId, id));
  return row;
}

/** Newest first; `after` is the id of the last endpoint of the previous page. */
export async function listEndpoints(
  db: Db,
  tenantId: string,
  opts: { after?: string | undefined; limit: number },
): Promise<WebhookEndpointRow[]> {
  const conds = [eq(webhookEndpoints.tenantId, tenantId)];
  if (opts.after) {
    conds.push(
      sql`(${webhookEndpoints.createdAt}, ${webhookEndpoints.id}) < (select created_at, id from webhook_endpoints where id = ${opts.after} and tenant_id = ${tenantId})`,
    );
  }
  return db
    .select()
    .from(webhookEndpoints)
    .where(and(...conds))
    .orderBy(desc(webhookEndpoints.createdAt), desc(webhookEndpoints.id))
    .limit(opts.limit + 1);
}

/** Changes the given fields; enabling an endpoint also clears why and since when it was failing. */
export async function updateEndpoint(
  db: Db,
  tenantId: string,
  id: string,
  patch: Partial<EndpointInput>,
): Promise<WebhookEndpointRow | undefined> {
  const reenable = patch.enabled === true ? { disabledReason: null, failingSince: null } : {};
  const [row] = await db
    .update(webhookEndpoints)
    .set({ ...patch, ...reenable, updatedAt: new Date() })
    .where(own(tenantId, id))
    .returning();
  return row;
}

export async function deleteEndpoint(db: Db, tenantId: string, id: string): Promise<boolean> {
  const rows = await db
    .delete(webhookEndpoints)
    .where(own(tenantId, id))
    .returning({ id: webhookEndpoints.id });
  return rows.length > 0;
}

/**
 * A new secret; the current one keeps signing beside it for `overlapSeconds` (a secret still overlapping from
 * an earlier rotation is dropped). Returns the new secret in clear, once.
 */
export async function rotateSecret(
  db: Db,
  box: SecretBox,
  tenantId: string,
  id: string,
  overlapSeconds: number,
): Promise<{ row: WebhookEndpointRow; secret: string } | undefined> {
  const secret = generateSecret();
  const [row] = await db
    .update(webhookEndpoints)
    .set({
      previousSecretCiphertext: sql`${webhookEndpoints.secretCiphertext}`,
      previousSecretExpiresAt: sql`now() + make_interval(secs => ${overlapSeconds})`,
      secretCiphertext: box.seal(secret, id),
      updatedAt: new Date(),
    })
    .where(own(tenantId, id))
    .returning();
  return row ? { row, secret } : undefined;
}
