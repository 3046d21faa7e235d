// How much work the queue holds, as the autoscaler and /metrics see it. One owner for these queries: the KEDA
// ScaledObject in infra/k8s carries WORKER_DEMAND_SQL verbatim (a test checks it), and metrics/ reports all three.
import type { SqlExecutor } from "../client.ts";
import { JOB_STATUSES, type JobStatus } from "./states.ts";

/** Jobs a worker could claim now: queued, and past their retry delay (run_at). */
export const QUEUE_DEPTH_SQL =
  "select count(*)::int as n from fine_tuning_jobs where status = 'queued' and run_at <= now()";

/**
 * Jobs that want a worker: claimable now, or running. Running jobs count so that scaling on this number never
 * takes away a worker that is training (scaling on queued jobs alone would drop to 0 as soon as they start).
 */
export const WORKER_DEMAND_SQL =
  "select count(*)::int as n from fine_tuning_jobs where (status = 'queued' and run_at <= now()) or status = 'running'";

const JOB_COUNTS_SQL = "select status, count(*)::int as n from fine_tuning_jobs group by status";

export interface QueueCounts {
  depth: number;
  demand: number;
  byStatus: Record<JobStatus, number>;
}

export async function queueCounts(sql: SqlExecutor): Promise<QueueCounts> {
  const [depth, demand, rows] = await Promise.all([
    sql.query<{ n: number }>(QUEUE_DEPTH_SQL),
    sql.query<{ n: number }>(WORKER_DEMAND_SQL),
    sql.query<{ status: JobStatus; n: number }>(JOB_COUNTS_SQL),
  ]);
  const byStatus = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
  for (const r of rows) byStatus[r.status] = r.n;
  return { depth: depth[0]?.n ?? 0, demand: demand[0]?.n ?? 0, byStatus };
}
