// GET /health: whether this process reaches the database and the object storage. Served by the API and by each
// worker process (load balancers, Docker HEALTHCHECK, Kubernetes probes).
import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import type { ObjectStorage } from "../db/storage/types.ts";

export interface HealthReport {
  status: "ok" | "degraded";
  database: string;
  storage: string;
}

export async function checkHealth(deps: { db: Database; storage: ObjectStorage }): Promise<HealthReport> {
  const [database, storage] = await Promise.all([
    deps.db.db.execute(sql`select 1`).then(
      () => "ok",
      (err: Error) => `error: ${err.message}`,
    ),
    deps.storage.ping().then(
      () => "ok",
      (err: Error) => `error: ${err.message}`,
    ),
  ]);
  return { status: database === "ok" && storage === "ok" ? "ok" : "degraded", database, storage };
}
