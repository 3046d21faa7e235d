// Runs one claimed job to its next state, in two steps: `attempt` fetches the inputs (cached), resumes from the
// latest checkpoint if there is one and trains, with events, metrics and checkpoints streamed back, and ends in
// one Outcome (worker/outcome.ts); `settle` turns that outcome into its queue operation. The lease is always
// released or handed on, and the run's scratch folder removed (finally).
import { randomBytes } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../common/logger.ts";
import { findFile } from "../db/files.ts";
import { findModel } from "../db/models.ts";
import type { JobRow } from "../db/queue/jobs.ts";
import { checkpointPrefix, outputPrefix } from "../db/queue/keys.ts";
import {
  dropLease,
  fail,
  latestCheckpoint,
  pauseHeld,
  recordCheckpoint,
  release,
  retryLater,
} from "../db/queue/queue.ts";
import type { ModelRow } from "../db/schema/models.ts";
import { downloadPrefix } from "./cache.ts";
import type { WorkerContext } from "./context.ts";
import type { TrainEvent } from "./engine/index.ts";
import { LeaseKeeper } from "./lease.ts";
import { type Outcome, outcomeOf, PermanentJobError } from "./outcome.ts";
import { JobReporter } from "./reporter.ts";
import { publishResults } from "./results.ts";
import { trainSpecFor } from "./train-spec.ts";
import { type RetryOptions, withRetry } from "./transient.ts";
import { uploadFolder } from "./uploads.ts";

export { PermanentJobError };

/** One run of a job: one claim by this worker, with the objects it writes under keys of its own (`runId`). */
interface Run {
  ctx: WorkerContext;
  job: JobRow;
  log: Logger;
  lease: LeaseKeeper;
  runId: string;
  work: string;
  outputDir: string;
  retrying: RetryOptions;
  /** Set once training starts: what the run reports, and the base model it trains. */
  reporter?: JobReporter;
  model?: ModelRow;
}

export async function runJob(ctx: WorkerContext, job: JobRow, shutdown: AbortSignal): Promise<void> {
  const log = ctx.log.child({ job: job.id, attempt: job.attempts });
  const lease = new LeaseKeeper(ctx.db.sql, job.id, ctx.workerId, ctx.queue.leaseSeconds, log);
  const onShutdown = () => lease.abort("shutdown");
  shutdown.addEventListener("abort", onShutdown);
  if (shutdown.aborted) onShutdown();
  lease.start();
  const runId = `${job.attempts}-${randomBytes(3).toString("hex")}`;
  const work = join(ctx.workDir, `${job.id}-${runId}`);
  const run: Run = {
    ctx,
    job,
    log,
    lease,
    runId,
    work,
    outputDir: join(work, "output"),
    retrying: { onRetry: (err: unknown, n: number) => log.warn({ err, n }, "transient error; retrying") },
  };
  try {
    const outcome = await attempt(run).then(
      (summary) => outcomeOf(lease.cause, { summary }),
      (error: unknown) => outcomeOf(lease.cause, { error }),
    );
    await settle(run, outcome);
  } finally {
    lease.stop();
    shutdown.removeEventListener("abort", onShutdown);
    await rm(work, { recursive: true, force: true }).catch(() => {});
  }
}

/** Inputs, resume point, training: resolves with the engine's summary, or rejects with what went wrong. */
async function attempt(run: Run) {
  const { ctx, job, lease, retrying } = run;
  const sql = ctx.db.sql;
  const model = await withRetry(() => findModel(ctx.db.db, job.tenantId, job.model), retrying);
  if (!model)
    throw new PermanentJobError("model_not_found", `model '${job.model}' no longer exists`, "model");
  run.model = model;
  const trainRef = await withRetry(() => findFile(ctx.db.db, job.tenantId, job.trainingFile), retrying);
  if (!trainRef) {
    throw new PermanentJobError(
      "invalid_training_file",
      `file '${job.trainingFile}' no longer exists`,
      "training_file",
    );
  }
  const validationId = job.validationFile;
  const validRef = validationId
    ? await withRetry(() => findFile(ctx.db.db, job.tenantId, validationId), retrying)
    : null;
  if (validationId && !validRef) {
    throw new PermanentJobError(
      "invalid_validation_file",
      `file '${validationId}' no longer exists`,
      "validation_file",
    );
  }
  const modelDir = await withRetry(() => ctx.cache.model(model.storagePrefix), retrying);
  const trainFile = await withRetry(() => ctx.cache.file(trainRef.id, trainRef.storageKey), retrying);
  const validationFile = validRef
    ? await withRetry(() => ctx.cache.file(validRef.id, validRef.storageKey), retrying)
    : undefined;

  const ckpt = await withRetry(() => latestCheckpoint(sql, job.id), retrying);
  let resumeFrom: string | undefined;
  if (ckpt) {
    const dir = join(run.work, "resume", `step-${ckpt.step}`);
    await withRetry(() => downloadPrefix(ctx.storage, ckpt.storagePrefix, dir), retrying);
    resumeFrom = dir;
  }
  // A resumed run counts on from the tokens trained up to its checkpoint; the job row's count may include the
  // steps after it, which this run repeats.
  const r = new JobReporter(
    sql,
    job.id,
    ctx.workerId,
    run.log,
    job.progress,
    ckpt ? ckpt.metrics.trained_tokens : job.trainedTokens,
    ckpt?.step ?? null,
  );
  run.reporter = r;
  if (ckpt) r.message(`Resuming from checkpoint at step ${ckpt.step}`);

  const checkpointDir = join(run.work, "checkpoints");
  await mkdir(run.outputDir, { recursive: true });
  const spec = trainSpecFor(
    job.config,
    job.seed,
    { modelDir, trainFile, validationFile, outputDir: run.outputDir, checkpointDir, resumeFrom },
    ctx.backend,
    model.name,
  );

  const onEvent = async (e: TrainEvent) => {
    const flushDue = r.record(e);
    if (e.type === "checkpoint" && lease.cause !== "lost") {
      const prefix = checkpointPrefix(job.tenantId, job.id, run.runId, e.step);
      await withRetry(() => uploadFolder(ctx.storage, e.dir, prefix), retrying);
      const metrics = {
        step: e.step,
        train_loss: e.trainLoss,
        ...(e.validLoss !== undefined ? { valid_loss: e.validLoss } : {}),
        frozen_fraction: r.progress.frozen_fraction,
        trained_tokens: r.trainedTokens,
      };
      const row = await withRetry(
        () => recordCheckpoint(sql, job.id, ctx.workerId, { step: e.step, storagePrefix: prefix, metrics }),
        retrying,
      );
      if (row) r.message(`Checkpoint saved at step ${e.step}`);
      // Older local checkpoints are in storage now; keep the disk small.
      await rm(e.dir, { recursive: true, force: true });
    }
    if (flushDue && lease.cause === null) {
      // Refused writes mean the job moved on (cancelled) or the lease is gone: a heartbeat tells which.
      if (!(await r.flush())) await lease.beat();
    }
    // Give timers (the heartbeat) a turn: training steps may never wait on real I/O themselves.
    await new Promise((resolve) => setImmediate(resolve));
  };

  return ctx.train(spec, { signal: lease.signal, onEvent });
}

/** The queue operation for each outcome, as db/queue/states.ts lists the moves out of `running`. */
async function settle(run: Run, outcome: Outcome): Promise<void> {
  const { ctx, job, log, retrying } = run;
  const sql = ctx.db.sql;
  const held = <T>(op: () => Promise<T>) => withRetry(op, retrying);
  // What the run reported since its last write, before the job leaves running (lost to nothing if refused).
  const flushReported = () =>
    run.reporter?.flush().catch((err) => log.warn({ err }, "could not write final events"));
  switch (outcome.kind) {
    case "lost":
      log.warn("lease lost; leaving the job to its new holder");
      return;
    case "cancelled": {
      // Refused when another worker holds the job now: its output then stays, as after any lost lease.
      if (!(await held(() => dropLease(sql, job.id, ctx.workerId)).catch(() => false))) {
        log.warn("lease lost; leaving the job to its new holder");
        return;
      }
      log.info("job cancelled; its output is discarded");
      await ctx.storage.deletePrefix(outputPrefix(job.tenantId, job.id, run.runId)).catch(() => {});
      return;
    }
    case "paused":
      await flushReported();
      await held(() => pauseHeld(sql, job.id, ctx.workerId));
      return;
    case "released":
      await flushReported();
      await held(() => release(sql, job.id, ctx.workerId));
      return;
    case "failed":
      log.warn({ err: outcome.cause }, "job failed");
      await flushReported();
      await held(() => fail(sql, job.id, ctx.workerId, outcome.error));
      return;
    case "retry":
      log.error({ err: outcome.cause }, "job attempt failed; it will be retried");
      await flushReported();
      await held(() => retryLater(sql, job.id, ctx.workerId, outcome.message, ctx.queue, job.maxAttempts));
      return;
    case "succeeded": {
      const r = run.reporter!;
      const summary = outcome.summary;
      try {
        r.finish(summary);
        await held(() => r.flush());
        const done = await held(() => publishResults(ctx, job, run.model!, run.outputDir, r, run.runId));
        log.info(
          { model: done.fineTunedModel, stop: summary.stopReason, steps: summary.stepsCompleted },
          "job succeeded",
        );
      } catch (error) {
        // Recording the results failed: that is the run's end instead (never `succeeded` again).
        await settle(run, outcomeOf(run.lease.cause, { error }));
      }
      return;
    }
  }
}
