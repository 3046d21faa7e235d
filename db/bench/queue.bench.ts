// Queue benchmark on real Postgres: 8 workers, each on its own connection, drain 5,000 no-op jobs.
// Prints claims per second, claim latency percentiles and the number of double claims (must be 0), then the
// time from a job's creation to its first training step on an idle worker (the real worker and engine on the
// built-in demo model).
// Usage: npm run bench:queue [-- --server postgres://postgres@127.0.0.1:5432/postgres --jobs 5000 --workers 8]
import { parseArgs } from "node:util";
import { migrate, openDatabase } from "../client.ts";
import type { JobConfig } from "../queue/job-config.ts";
import { emptyProgress } from "../queue/progress.ts";
import {
  claim,
  DEFAULT_QUEUE_OPTIONS,
  enqueue,
  markQueued,
  type QueueOptions,
  succeed,
} from "../queue/queue.ts";
import { firstStepLatency } from "./first-step.ts";
import { percentile, withFreshDatabase } from "./fresh-database.ts";

const { values } = parseArgs({
  options: {
    server: { type: "string", default: "postgres://postgres@127.0.0.1:5432/postgres" },
    jobs: { type: "string", default: "5000" },
    workers: { type: "string", default: "8" },
    tenants: { type: "string", default: "50" },
    "first-step-runs": { type: "string", default: "3" },
  },
});
const JOBS = Number(values.jobs);
const WORKERS = Number(values.workers);
const TENANTS = Number(values.tenants);

async function claimBench(url: string): Promise<void> {
  const setup = await openDatabase({ databaseUrl: url, maxConnections: 4 });
  await migrate(setup);
  const tenantIds = Array.from({ length: TENANTS }, (_, i) => `org-bench${i}`);
  for (const id of tenantIds) await setup.sql.query("insert into tenants (id, name) values ($1, $1)", [id]);
  const t0 = performance.now();
  for (let i = 0; i < JOBS; i += 100) {
    await setup.sql.transaction(async (tx) => {
      for (let k = i; k < Math.min(JOBS, i + 100); k++) {
        const job = await enqueue(tx, {
          tenantId: tenantIds[k % TENANTS]!,
          model: "noop",
          trainingFile: "file-noop",
          validationFile: null,
          suffix: null,
          seed: 0,
          metadata: null,
          // The queue never reads a job's configuration; these jobs are claimed and completed without training.
          config: {} as JobConfig,
          maxAttempts: 3,
        });
        await markQueued(tx, job.id);
      }
    });
  }
  console.log(
    `enqueued ${JOBS} jobs over ${TENANTS} tenants in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  // No-op jobs finish at once, so the per-tenant limit only needs to exceed what 8 workers can hold.
  const opts: QueueOptions = { ...DEFAULT_QUEUE_OPTIONS, runningPerTenant: 4 };
  const workers = await Promise.all(
    Array.from({ length: WORKERS }, () => openDatabase({ databaseUrl: url, maxConnections: 1 })),
  );
  const latencies: number[] = [];
  const claimedBy = new Map<string, number>();
  let doubleClaims = 0;
  const start = performance.now();
  await Promise.all(
    workers.map(async (w, i) => {
      const workerId = `bench-${i}`;
      for (;;) {
        const c0 = performance.now();
        const job = await claim(w.sql, workerId, opts);
        latencies.push(performance.now() - c0);
        if (!job) {
          const [left] = await w.sql.query<{ n: number }>(
            "select count(*)::int as n from fine_tuning_jobs where status in ('queued', 'running')",
          );
          if (left!.n === 0) return;
          continue;
        }
        if (claimedBy.has(job.id)) doubleClaims++;
        claimedBy.set(job.id, i);
        const done = await succeed(w.sql, job.id, workerId, {
          fineTunedModel: "noop",
          resultFiles: [],
          trainedTokens: 0,
          progress: emptyProgress(),
          backend: "none",
        });
        if (!done) throw new Error(`worker ${workerId} lost its lease on ${job.id}`);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const [stats] = await setup.sql.query<{ succeeded: number; reclaimed: number }>(
    `select count(*) filter (where status = 'succeeded')::int as succeeded,
            count(*) filter (where attempts <> 1)::int as reclaimed from fine_tuning_jobs`,
  );
  latencies.sort((a, b) => a - b);
  console.log(`workers: ${WORKERS} (one connection each), jobs: ${JOBS}`);
  console.log(
    `drained in ${seconds.toFixed(2)} s: ${(JOBS / seconds).toFixed(0)} claims/s (claim + complete per job)`,
  );
  console.log(
    `claim latency ms: p50 ${percentile(latencies, 50).toFixed(2)}, p99 ${percentile(latencies, 99).toFixed(2)}, max ${latencies.at(-1)!.toFixed(2)}`,
  );
  console.log(
    `double claims: ${doubleClaims} (jobs with attempts != 1: ${stats!.reclaimed}); succeeded: ${stats!.succeeded}`,
  );
  await Promise.all([...workers, setup].map((d) => d.close()));
  if (doubleClaims !== 0 || stats!.succeeded !== JOBS) process.exitCode = 1;
}

const server = values.server!;
await withFreshDatabase(server, claimBench);
const runs = Number(values["first-step-runs"]);
if (runs > 0) await withFreshDatabase(server, (url) => firstStepLatency(url, runs));
