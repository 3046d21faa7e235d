// The service's Prometheus metrics (prom-client), one registry per process, served at /metrics by the API and
// by each worker process. Queue figures are read from the database at scrape time, so every instance reports
// the same cluster-wide values (aggregate them with max); counters are per process (aggregate with sum).
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { SqlExecutor } from "../db/client.ts";
import { queueCounts } from "../db/queue/demand.ts";

/**
 * What a worker's run of a job ended in: the job's status afterwards ("queued": retried or handed back; "lost":
 * another worker holds it by then; "unknown": the status could not be read).
 */
export type RunOutcome = "succeeded" | "failed" | "queued" | "paused" | "cancelled" | "lost" | "unknown";

export interface ServiceMetrics {
  registry: Registry;
  /** Expired leases this process's rescuer reclaimed, by where the job went (queued again, or failed). */
  leaseExpiries: Counter<"result">;
  /** Runs of jobs by this process's worker, by outcome. */
  jobRuns: Counter<"outcome">;
  // Webhook delivery failures: the dispatcher (infra/webhooks.ts) registers its counter here when it lands.
}

const SCRAPE_REUSE_MS = 1000;

export function createServiceMetrics(deps: { sql: SqlExecutor }): ServiceMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "grades_" });

  // One read feeds the three gauges of a scrape (their collect() calls come within the same moment).
  let scrape: { at: number; counts: ReturnType<typeof queueCounts> } | undefined;
  const counts = () => {
    if (!scrape || Date.now() - scrape.at > SCRAPE_REUSE_MS) {
      const current = { at: Date.now(), counts: queueCounts(deps.sql) };
      current.counts.catch(() => {
        if (scrape === current) scrape = undefined;
      });
      scrape = current;
    }
    return scrape.counts;
  };
  new Gauge({
    name: "grades_queue_depth",
    help: "Jobs a worker could claim now (queued and past their retry delay).",
    registers: [registry],
    async collect() {
      this.set((await counts()).depth);
    },
  });
  new Gauge({
    name: "grades_worker_demand",
    help: "Jobs that want a worker: claimable now or running (what the workers' autoscaler scales on).",
    registers: [registry],
    async collect() {
      this.set((await counts()).demand);
    },
  });
  new Gauge({
    name: "grades_jobs",
    help: "Fine-tuning jobs by status.",
    labelNames: ["status"],
    registers: [registry],
    async collect() {
      for (const [status, n] of Object.entries((await counts()).byStatus)) this.set({ status }, n);
    },
  });

  return {
    registry,
    leaseExpiries: new Counter({
      name: "grades_lease_expiries_total",
      help: "Jobs whose worker stopped renewing its lease, reclaimed by this process's rescuer.",
      labelNames: ["result"],
      registers: [registry],
    }),
    jobRuns: new Counter({
      name: "grades_job_runs_total",
      help: "Job runs by this process's worker, by the job's status afterwards (queued: retried or handed back; lost: held by another worker by then).",
      labelNames: ["outcome"],
      registers: [registry],
    }),
  };
}
