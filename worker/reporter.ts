// Turns the engine's events into job events (lifecycle messages and `metrics` events at a bounded cadence)
// and the job's progress row, written in batches by the lease holder with retries on transient errors.

import type { Logger } from "../common/logger.ts";
import type { SqlExecutor } from "../db/client.ts";
import { emptyProgress, type JobProgress } from "../db/queue/progress.ts";
import { addEvents, type NewEvent, updateProgress } from "../db/queue/queue.ts";
import type { TrainEvent, TrainSummary } from "./engine/index.ts";
import { withRetry } from "./transient.ts";

/** About this many metrics events per job, whatever its length; plus the first and the last step. */
const METRICS_EVENTS_PER_JOB = 100;
const FLUSH_EVERY_MS = 1000;

export interface MetricsRow {
  step: number;
  train_loss: number;
  learning_rate: number;
  frozen_fraction: number;
  tokens_per_second: number;
  valid_loss: number | null;
}

export class JobReporter {
  readonly progress: JobProgress;
  /** Every step's metrics, for the metrics CSV result file. */
  readonly rows: MetricsRow[] = [];
  private pending: NewEvent[] = [];
  private lastFlush = 0;
  private startedAt = Date.now();
  private firstStep: number | null = null;
  trainedTokens = 0;
  backend: string | null = null;

  constructor(
    private readonly sql: SqlExecutor,
    private readonly jobId: string,
    private readonly workerId: string,
    private readonly log: Logger,
    previous: Partial<JobProgress> | null,
    trainedTokens: number | null,
    resumeStep: number | null,
  ) {
    this.progress = { ...emptyProgress(), ...previous };
    this.trainedTokens = resumeStep === null ? 0 : (trainedTokens ?? 0);
    this.progress.resumed_from_step = resumeStep;
    if (resumeStep === null) {
      this.progress.components = {};
      this.progress.history = [];
    } else {
      // Freezes recorded after the checkpoint happened in a run that was lost; the resumed run redoes them.
      for (const c of Object.values(this.progress.components)) {
        if (c.frozen_at_step !== null && c.frozen_at_step > resumeStep) c.frozen_at_step = null;
      }
      this.progress.history = this.progress.history.filter((h) => h.step <= resumeStep);
    }
    this.countFrozen();
  }

  message(message: string, level: NewEvent["level"] = "info"): void {
    this.pending.push({ message, level });
  }

  private countFrozen(): void {
    const comps = Object.values(this.progress.components);
    this.progress.frozen_components = comps.filter((c) => c.frozen_at_step !== null).length;
  }

  private metricsCadence(totalSteps: number): number {
    return Math.max(1, Math.floor(totalSteps / METRICS_EVENTS_PER_JOB));
  }

  /** Records one engine event; returns true when a flush is due. */
  record(e: TrainEvent): boolean {
    const p = this.progress;
    switch (e.type) {
      case "step": {
        this.firstStep ??= e.step;
        p.steps_completed = e.step;
        p.total_steps = e.totalSteps;
        p.train_loss = e.trainLoss;
        p.frozen_fraction = e.frozenFraction;
        p.tokens_per_second = e.tokensPerSecond;
        if (e.totalComponents !== undefined) p.total_components = e.totalComponents;
        // Live freeze map: each measured component's latest G, so /grades is current while the job runs.
        for (const [name, g] of Object.entries(e.metrics ?? {})) {
          p.components[name] = {
            frozen_at_step: p.components[name]?.frozen_at_step ?? null,
            latest_metric: g,
          };
        }
        this.trainedTokens += e.tokens;
        this.rows.push({
          step: e.step,
          train_loss: e.trainLoss,
          learning_rate: e.learningRate,
          frozen_fraction: e.frozenFraction,
          tokens_per_second: e.tokensPerSecond,
          valid_loss: null,
        });
        if (p.history.length === 0 || e.step % this.metricsCadence(e.totalSteps) === 0) {
          p.history.push({
            step: e.step,
            train_loss: e.trainLoss,
            frozen_fraction: e.frozenFraction,
            ...(e.metrics ? { metrics: e.metrics } : {}),
          });
        }
        if (e.step === 1 || e.step === e.totalSteps || e.step % this.metricsCadence(e.totalSteps) === 0) {
          this.pending.push({
            type: "metrics",
            message: `Step ${e.step}/${e.totalSteps}: training loss=${e.trainLoss.toFixed(4)}`,
            data: {
              step: e.step,
              total_steps: e.totalSteps,
              epoch: e.epoch,
              train_loss: e.trainLoss,
              learning_rate: e.learningRate,
              frozen_fraction: e.frozenFraction,
              tokens_per_second: e.tokensPerSecond,
            },
          });
        }
        return Date.now() - this.lastFlush >= FLUSH_EVERY_MS;
      }
      case "freeze":
        p.components[e.component] = { frozen_at_step: e.step, latest_metric: e.metric };
        this.countFrozen();
        this.pending.push({
          message: `GradES froze ${e.component} at step ${e.step} (G=${e.metric.toPrecision(4)})`,
          data: { step: e.step, component: e.component, metric: e.metric },
        });
        return false;
      case "eval": {
        p.valid_loss = e.validLoss;
        const row = this.rows.at(-1);
        if (row && row.step === e.step) row.valid_loss = e.validLoss;
        this.pending.push({
          type: "metrics",
          message: `Step ${e.step}: validation loss=${e.validLoss.toFixed(4)}`,
          data: { step: e.step, valid_loss: e.validLoss },
        });
        return true;
      }
      case "checkpoint":
        return true;
      case "stop":
        p.stop_reason = e.reason;
        return true;
    }
  }

  /** Takes the engine's final summary: the per-component freeze map, metric history and compute saved. */
  finish(summary: TrainSummary): void {
    const p = this.progress;
    p.steps_completed = summary.stepsCompleted;
    p.total_steps = summary.totalSteps;
    p.stop_reason = summary.stopReason;
    p.frozen_fraction = summary.frozenFraction;
    p.train_loss = summary.finalTrainLoss ?? p.train_loss;
    p.valid_loss = summary.finalValidLoss ?? p.valid_loss;
    p.estimated_compute_saved = summary.estimatedComputeSaved;
    p.total_components = summary.components.length;
    p.components = Object.fromEntries(
      summary.components.map((c) => [
        c.name,
        { frozen_at_step: c.frozenAtStep, latest_metric: c.lastMetric },
      ]),
    );
    p.history = summary.history.map((h) => ({
      step: h.step,
      train_loss: h.trainLoss,
      frozen_fraction: h.frozenFraction,
      metrics: h.metrics,
    }));
    this.countFrozen();
    this.backend = summary.backend;
  }

  private estimatedFinish(): Date | null {
    const p = this.progress;
    if (this.firstStep === null || !p.total_steps || p.steps_completed <= this.firstStep) return null;
    const perStep = (Date.now() - this.startedAt) / (p.steps_completed - this.firstStep + 1);
    return new Date(Date.now() + perStep * (p.total_steps - p.steps_completed));
  }

  /** Writes pending events and the progress; false when the lease is gone (nothing was written). */
  async flush(): Promise<boolean> {
    this.lastFlush = Date.now();
    const events = this.pending;
    this.pending = [];
    const onRetry = (err: unknown, attempt: number) =>
      this.log.warn({ job: this.jobId, err, attempt }, "writing job events failed; retrying");
    const held = await withRetry(() => addEvents(this.sql, this.jobId, this.workerId, events), { onRetry });
    if (!held) return false;
    return withRetry(
      () =>
        updateProgress(this.sql, this.jobId, this.workerId, {
          progress: this.progress,
          trainedTokens: this.trainedTokens,
          estimatedFinish: this.estimatedFinish(),
          backend: this.backend,
        }),
      { onRetry },
    );
  }

  /** Writes the pending events on `tx` (inside the caller's transaction, no retry: the caller's commit decides). */
  async flushWith(tx: SqlExecutor): Promise<void> {
    const events = this.pending;
    this.pending = [];
    await addEvents(tx, this.jobId, this.workerId, events);
  }

  metricsCsv(): string {
    const header = "step,train_loss,valid_loss,learning_rate,frozen_fraction,tokens_per_second";
    const lines = this.rows.map((r) =>
      [
        r.step,
        r.train_loss,
        r.valid_loss ?? "",
        r.learning_rate,
        r.frozen_fraction,
        r.tokens_per_second,
      ].join(","),
    );
    return `${[header, ...lines].join("\n")}\n`;
  }
}
