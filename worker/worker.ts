// The worker loop: claim a job (woken by NOTIFY, polling as the fallback), run it, repeat; rescue expired
// leases on the side. stop() asks the running job to checkpoint and hands it back to the queue, then resolves
// `drained`; the process's second signal is the hard abort (see infra/worker.ts).
import { join } from "node:path";
import type { Config } from "../common/config.ts";
import type { Logger } from "../common/logger.ts";
import type { Database } from "../db/client.ts";
import type { JobRow } from "../db/queue/jobs.ts";
import { claim, newWorkerId, type QueueOptions, rescueExpired } from "../db/queue/queue.ts";
import { getJob } from "../db/queue/reads.ts";
import type { ObjectStorage } from "../db/storage/types.ts";
import type { RunOutcome, ServiceMetrics } from "../metrics/service-metrics.ts";
import { InputCache } from "./cache.ts";
import type { TrainFn, WorkerContext } from "./context.ts";
import { runJob } from "./run-job.ts";
import { trainInThread } from "./thread/train-in-thread.ts";
import { Wakeup } from "./wake.ts";
import { claimWorkDir } from "./work-dirs.ts";

export interface WorkerDeps {
  config: Config;
  db: Database;
  storage: ObjectStorage;
  logger: Logger;
  /** Counts rescues and job outcomes when given. */
  metrics?: ServiceMetrics;
}

export interface WorkerOptions {
  /** Lease holder name (default: host:pid:random). */
  workerId?: string;
  /** Overrides for config.worker's queue settings (tests use short leases). */
  leaseSeconds?: number;
  pollSeconds?: number;
  /** The training function (default: the engine's train, on a thread of its own: heartbeats and the API stay live). */
  train?: TrainFn;
  /** Called with each job as it is claimed (tests, metrics). */
  onClaim?: (job: JobRow) => void;
}

export interface RunningWorker {
  workerId: string;
  /** Checkpoints and hands back the running job, stops claiming; resolves when the loop has ended. */
  stop(): Promise<void>;
  /** Resolves when the loop has ended. */
  drained: Promise<void>;
}

/** Where a run left its job, read back from its row (runJob's many exits all end there). */
async function runOutcome(db: Database, job: JobRow): Promise<RunOutcome> {
  const now = await getJob(db.sql, job.tenantId, job.id).catch(() => null);
  if (!now) return "unknown";
  // Running after this run ended: another worker holds it now.
  return now.status === "running" || now.status === "validating_files" ? "lost" : now.status;
}

export async function startWorker(deps: WorkerDeps, opts: WorkerOptions = {}): Promise<RunningWorker> {
  const wc = deps.config.worker;
  const workerId = opts.workerId ?? newWorkerId();
  const log = deps.logger.child({ worker: workerId });
  const queue: QueueOptions = {
    leaseSeconds: opts.leaseSeconds ?? wc.leaseSeconds,
    runningPerTenant: wc.runningPerTenant,
    retry: wc.retry,
  };
  const pollMs = (opts.pollSeconds ?? wc.pollSeconds) * 1000;
  const workDir = await claimWorkDir(join(wc.cacheDir, "work"), workerId, log);
  const ctx: WorkerContext = {
    db: deps.db,
    storage: deps.storage,
    log,
    workerId,
    queue,
    cache: new InputCache(wc.cacheDir, deps.storage),
    workDir,
    backend: deps.config.backend,
    threads: deps.config.threads,
    train: opts.train ?? trainInThread,
  };
  const shutdown = new AbortController();
  const wakeup = new Wakeup();
  await wakeup.listen(deps.db.sql, log);

  let lastRescue = 0;
  const rescue = async () => {
    if (Date.now() - lastRescue < pollMs) return;
    lastRescue = Date.now();
    const moved = await rescueExpired(deps.db.sql, queue, wc.maxAttempts);
    for (const j of moved) {
      log.warn({ job: j.id, status: j.status, error: j.lastError }, "rescued a job with an expired lease");
      deps.metrics?.leaseExpiries.inc({ result: j.status });
    }
  };

  const loop = async () => {
    log.info({ lease: queue.leaseSeconds, pollMs }, "worker started");
    while (!shutdown.signal.aborted) {
      let job: JobRow | null = null;
      try {
        await rescue();
        job = await claim(deps.db.sql, workerId, queue);
      } catch (err) {
        log.warn({ err }, "claiming failed; retrying after the poll interval");
      }
      if (!job) {
        await wakeup.wait(pollMs);
        continue;
      }
      opts.onClaim?.(job);
      log.info({ job: job.id, attempt: job.attempts }, "claimed a job");
      try {
        await runJob(ctx, job, shutdown.signal);
        if (deps.metrics) deps.metrics.jobRuns.inc({ outcome: await runOutcome(deps.db, job) });
      } catch (err) {
        // Even recording the outcome failed (the database stayed away past every retry): the lease then
        // expires and the rescuer re-queues the job; this worker carries on.
        log.error({ err, job: job.id }, "could not record the job's outcome");
      }
    }
    log.info("worker stopped");
  };
  const drained = loop();

  return {
    workerId,
    drained,
    async stop() {
      shutdown.abort();
      await wakeup.close();
      await drained;
    },
  };
}
