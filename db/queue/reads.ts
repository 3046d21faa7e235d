// Read queries the API runs: a tenant's jobs (newest first, cursor after an id), a job's events (newest first)
// and checkpoints (latest step first). Models and files are read through their own modules (db/models.ts,
// db/files.ts). Each fetches `limit + 1` rows so the caller can tell whether more exist.
import type { Row, SqlExecutor } from "../client.ts";
import { type CheckpointRow, type JobRow, mapCheckpoint, mapJob } from "./jobs.ts";

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
  return rows.map(mapCheckpoint);
}
