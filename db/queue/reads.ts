// Read queries the API runs: a tenant's jobs (newest first, cursor after an id), a job's events (newest first)
// and checkpoints (latest step first). Each fetches `limit + 1` rows so the caller can tell whether more exist.
import type { Row, SqlExecutor } from "../client.ts";
import { type JobRow, mapJob } from "./jobs.ts";
import type { CheckpointRow } from "./queue.ts";

export async function getJob(sql: SqlExecutor, tenantId: string, jobId: string): Promise<JobRow | null> {
  const [row] = await sql.query("select * from fine_tuning_jobs where id = $1 and tenant_id = $2", [
    jobId,
    tenantId,
  ]);
  return row ? mapJob(row) : null;
}

export async function listJobs(
  sql: SqlExecutor,
  tenantId: string,
  page: { after?: string | undefined; limit: number; metadata?: Record<string, string> | undefined },
): Promise<JobRow[]> {
  const rows = await sql.query(
    `select * from fine_tuning_jobs j
     where j.tenant_id = $1
       and ($2::text is null or (j.created_at, j.id) < (select a.created_at, a.id from fine_tuning_jobs a
                                                       where a.id = $2 and a.tenant_id = $1))
       and ($3::text is null or j.metadata @> $3::text::jsonb)
     order by j.created_at desc, j.id desc
     limit $4`,
    [tenantId, page.after ?? null, page.metadata ? JSON.stringify(page.metadata) : null, page.limit + 1],
  );
  return rows.map(mapJob);
}

export async function listEvents(
  sql: SqlExecutor,
  jobId: string,
  page: { after?: string | undefined; limit: number },
): Promise<Row[]> {
  return sql.query(
    `select id, created_at, level, message, type, data from fine_tuning_job_events e
     where e.job_id = $1
       and ($2::text is null or e.seq < (select a.seq from fine_tuning_job_events a where a.id = $2 and a.job_id = $1))
     order by e.seq desc
     limit $3`,
    [jobId, page.after ?? null, page.limit + 1],
  );
}

export async function listCheckpoints(
  sql: SqlExecutor,
  jobId: string,
  page: { after?: string | undefined; limit: number },
): Promise<CheckpointRow[]> {
  const rows = await sql.query(
    `select * from fine_tuning_checkpoints c
     where c.job_id = $1
       and ($2::text is null or c.step < (select a.step from fine_tuning_checkpoints a where a.id = $2 and a.job_id = $1))
     order by c.step desc
     limit $3`,
    [jobId, page.after ?? null, page.limit + 1],
  );
  return rows.map((r) => ({
    id: r.id as string,
    jobId: r.job_id as string,
    step: Number(r.step),
    storagePrefix: r.storage_prefix as string,
    metrics: (r.metrics as Record<string, unknown>) ?? {},
    createdAt: r.created_at as Date,
  }));
}

export interface ModelRef {
  name: string;
  owner: string;
  kind: string;
  modelType: string;
  storagePrefix: string;
  config: Record<string, unknown>;
  parent: string | null;
}

/** A model the tenant may use: a built-in one (owner `system`) or its own. */
export async function findModel(sql: SqlExecutor, tenantId: string, name: string): Promise<ModelRef | null> {
  const [r] = await sql.query(
    `select name, owner, kind, model_type, storage_prefix, config, parent from models
     where name = $1 and owner in ('system', $2) order by (owner = $2) desc limit 1`,
    [name, tenantId],
  );
  if (!r) return null;
  return {
    name: r.name as string,
    owner: r.owner as string,
    kind: r.kind as string,
    modelType: r.model_type as string,
    storagePrefix: r.storage_prefix as string,
    config: r.config as Record<string, unknown>,
    parent: (r.parent as string | null) ?? null,
  };
}

export interface FileRef {
  id: string;
  purpose: string;
  bytes: number;
  storageKey: string;
  examples: number | null;
  filename: string;
}

/** A file of the tenant that has not expired: a file past its `expires_after` is gone for the API, jobs included. */
export async function findFile(sql: SqlExecutor, tenantId: string, fileId: string): Promise<FileRef | null> {
  const [r] = await sql.query(
    `select id, purpose, bytes, storage_key, examples, filename from files
     where id = $1 and tenant_id = $2 and (expires_at is null or expires_at > now())`,
    [fileId, tenantId],
  );
  if (!r) return null;
  return {
    id: r.id as string,
    purpose: r.purpose as string,
    bytes: Number(r.bytes),
    storageKey: r.storage_key as string,
    examples: r.examples === null || r.examples === undefined ? null : Number(r.examples),
    filename: r.filename as string,
  };
}
