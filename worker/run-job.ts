// Runs one claimed job to its next state: fetch inputs (cached), resume from the latest checkpoint if there is
// one, train with events, metrics and checkpoints streamed back, then succeed, fail, retry, pause, hand back
// on shutdown, or let go of a job the API cancelled. The lease is always released or handed on (finally).
import { randomBytes } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { JobConfig } from "../db/queue/job-config.ts";
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
import { findFile, findModel } from "../db/queue/reads.ts";
import { downloadPrefix } from "./cache.ts";
import type { WorkerContext } from "./context.ts";
import { DataFormatError, type TrainEvent, TrainSpecError } from "./engine/index.ts";
import { LeaseKeeper } from "./lease.ts";
import { JobReporter } from "./reporter.ts";
import { LeaseLostError, publishResults } from "./results.ts";
import { trainSpecFor } from "./train-spec.ts";
import { withRetry } from "./transient.ts";
import { uploadFolder } from "./uploads.ts";

/** A failure that would repeat on every attempt: the job fails at once with this code and param. */
export class PermanentJobError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
    this.name = "PermanentJobError";
  }
}

function permanentOf(err: unknown): PermanentJobError | null {
  if (err instanceof PermanentJobError) return err;
  if (err instanceof DataFormatError)
    return new PermanentJobError("invalid_training_file", err.message, "training_file");
  if (err instanceof TrainSpecError)
    return new PermanentJobError("invalid_hyperparameters", err.message, err.field);
  const name = (err as Error)?.name;
  if (name === "ModelLoadError" || name === "AdapterLoadError") {
    return new PermanentJobError("invalid_model", (err as Error).message, "model");
  }
  return null;
}

export async function runJob(ctx: WorkerContext, job: JobRow, shutdown: AbortSignal): Promise<void> {
  const sql = ctx.db.sql;
  const log = ctx.log.child({ job: job.id, attempt: job.attempts });
  const lease = new LeaseKeeper(sql, job.id, ctx.workerId, ctx.queue.leaseSeconds, log);
  const onShutdown = () => lease.abort("shutdown");
  shutdown.addEventListener("abort", onShutdown);
  if (shutdown.aborted) onShutdown();
  lease.start();
  const runId = `${job.attempts}-${randomBytes(3).toString("hex")}`;
  const work = join(ctx.workDir, `${job.id}-${runId}`);
  const retrying = {
    onRetry: (err: unknown, n: number) => log.warn({ err, n }, "transient error; retrying"),
  };
  let reporter: JobReporter | undefined;
  try {
    const config = job.config as unknown as JobConfig;
    const model = await withRetry(() => findModel(sql, job.tenantId, job.model), retrying);
    if (!model)
      throw new PermanentJobError("model_not_found", `model '${job.model}' no longer exists`, "model");
    const trainRef = await withRetry(() => findFile(sql, job.tenantId, job.trainingFile), retrying);
    if (!trainRef)
      throw new PermanentJobError(
        "invalid_training_file",
        `file '${job.trainingFile}' no longer exists`,
        "training_file",
      );
    const validRef = job.validationFile
      ? await withRetry(() => findFile(sql, job.tenantId, job.validationFile!), retrying)
      : null;
    if (job.validationFile && !validRef) {
      throw new PermanentJobError(
        "invalid_validation_file",
        `file '${job.validationFile}' no longer exists`,
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
      resumeFrom = join(work, "resume", `step-${ckpt.step}`);
      await withRetry(() => downloadPrefix(ctx.storage, ckpt.storagePrefix, resumeFrom!), retrying);
    }
    // A resumed run counts on from the tokens trained up to its checkpoint; the job row's count may include the
    // steps after it, which this run repeats.
    const tokensAtCheckpoint = ckpt?.metrics.trained_tokens;
    reporter = new JobReporter(
      sql,
      job.id,
      ctx.workerId,
      log,
      job.progress,
      typeof tokensAtCheckpoint === "number" ? tokensAtCheckpoint : job.trainedTokens,
      ckpt?.step ?? null,
    );
    if (ckpt) reporter.message(`Resuming from checkpoint at step ${ckpt.step}`);
    const r = reporter;

    const outputDir = join(work, "output");
    const checkpointDir = join(work, "checkpoints");
    await mkdir(outputDir, { recursive: true });
    const spec = trainSpecFor(
      config,
      job.seed,
      { modelDir, trainFile, validationFile, outputDir, checkpointDir, resumeFrom },
      ctx.backend,
      model.name,
      ctx.threads,
    );

    const onEvent = async (e: TrainEvent) => {
      const flushDue = r.record(e);
      if (e.type === "checkpoint" && lease.cause !== "lost") {
        const prefix = checkpointPrefix(job.tenantId, job.id, runId, e.step);
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

    const summary = await ctx.train(spec, { signal: lease.signal, onEvent });
    if (lease.cause === "lost") {
      log.warn("lease lost during training; the job's new holder carries on");
      return;
    }
    if (summary.stopReason === "cancelled") {
      await r.flush().catch((err) => log.warn({ err }, "could not write final events"));
      await handOver(ctx, job, lease.cause ?? "shutdown", retrying);
      return;
    }
    if (lease.cause === "cancel") {
      await withRetry(() => dropLease(sql, job.id, ctx.workerId), retrying);
      return;
    }
    r.finish(summary);
    await withRetry(() => r.flush(), retrying);
    const done = await withRetry(() => publishResults(ctx, job, model, outputDir, r, runId), retrying);
    log.info(
      { model: done.fineTunedModel, stop: summary.stopReason, steps: summary.stepsCompleted },
      "job succeeded",
    );
  } catch (err) {
    if (err instanceof LeaseLostError && lease.cause !== "lost") {
      // Refused at the very end: either the API cancelled the job while its results were being recorded (we
      // still hold it, so the lease drop succeeds and the uploaded output belongs to no one), or another
      // worker holds it now (the drop is refused; this run's output is left, as after any lost lease).
      if (await withRetry(() => dropLease(sql, job.id, ctx.workerId), retrying).catch(() => false)) {
        log.info("job cancelled while its results were being recorded; results discarded");
        await ctx.storage.deletePrefix(outputPrefix(job.tenantId, job.id, runId)).catch(() => {});
        return;
      }
    }
    if (err instanceof LeaseLostError || lease.cause === "lost") {
      log.warn({ err }, "lease lost; leaving the job to its new holder");
      return;
    }
    if (lease.cause === "cancel") {
      await withRetry(() => dropLease(sql, job.id, ctx.workerId), retrying).catch(() => {});
      return;
    }
    await reporter?.flush().catch(() => {});
    const permanent = permanentOf(err);
    if (permanent) {
      log.warn({ err }, "job failed");
      await withRetry(
        () =>
          fail(sql, job.id, ctx.workerId, {
            code: permanent.code,
            message: permanent.message,
            param: permanent.param,
          }),
        retrying,
      );
    } else {
      log.error({ err }, "job attempt failed; it will be retried");
      const message = (err as Error)?.message ?? String(err);
      await withRetry(
        () => retryLater(sql, job.id, ctx.workerId, message, ctx.queue, job.maxAttempts),
        retrying,
      );
    }
  } finally {
    lease.stop();
    shutdown.removeEventListener("abort", onShutdown);
    await rm(work, { recursive: true, force: true }).catch(() => {});
  }
}

/** After training stopped early on request: the job goes where the request said, its checkpoint already stored. */
async function handOver(
  ctx: WorkerContext,
  job: JobRow,
  cause: "cancel" | "pause" | "shutdown",
  retrying: { onRetry: (err: unknown, n: number) => void },
): Promise<void> {
  const sql = ctx.db.sql;
  if (cause === "cancel") await withRetry(() => dropLease(sql, job.id, ctx.workerId), retrying);
  else if (cause === "pause") await withRetry(() => pauseHeld(sql, job.id, ctx.workerId), retrying);
  else await withRetry(() => release(sql, job.id, ctx.workerId), retrying);
}
