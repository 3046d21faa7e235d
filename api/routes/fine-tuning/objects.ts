// The API's objects, shaped as OpenAI's (fine_tuning.job, fine_tuning.job.event, fine_tuning.job.checkpoint)
// with our extensions as extra fields.
import { z } from "@hono/zod-openapi";
import type { JobRow } from "../../../db/queue/jobs.ts";
import { emptyProgress, type JobProgress } from "../../../db/queue/progress.ts";
import type { CheckpointRow } from "../../../db/queue/queue.ts";
import type { JobConfig } from "./config.ts";

const unix = (d: Date | null): number | null => (d ? Math.floor(d.getTime() / 1000) : null);

const HyperparametersOut = z.object({
  n_epochs: z.number().int(),
  batch_size: z.number().int(),
  learning_rate_multiplier: z.number(),
});

export const JobObject = z
  .object({
    object: z.literal("fine_tuning.job"),
    id: z.string(),
    created_at: z.number().int(),
    error: z.object({ code: z.string(), message: z.string(), param: z.string().nullable() }).nullable(),
    fine_tuned_model: z.string().nullable(),
    finished_at: z.number().int().nullable(),
    hyperparameters: HyperparametersOut,
    model: z.string(),
    organization_id: z.string(),
    result_files: z.array(z.string()),
    seed: z.number().int(),
    status: z.enum(["validating_files", "queued", "running", "succeeded", "failed", "cancelled", "paused"]),
    trained_tokens: z.number().int().nullable(),
    training_file: z.string(),
    validation_file: z.string().nullable(),
    estimated_finish: z.number().int().nullable(),
    integrations: z.array(z.unknown()),
    metadata: z.record(z.string(), z.string()).nullable(),
    method: z.object({
      type: z.literal("supervised"),
      supervised: z.object({ hyperparameters: HyperparametersOut }),
    }),
    user_provided_suffix: z.string().nullable(),
    // Extensions.
    backend: z.string().nullable(),
    training_type: z.enum(["lora", "full"]),
    pause_requested: z.boolean(),
    grades: z.object({
      frozen_fraction: z.number(),
      frozen_components: z.number().int(),
      total_components: z.number().int().nullable(),
      stop_reason: z.string().nullable(),
      steps_completed: z.number().int(),
      total_steps: z.number().int().nullable(),
      options: z.record(z.string(), z.unknown()),
    }),
    config: z.record(z.string(), z.unknown()).openapi({ description: "The resolved training configuration" }),
  })
  .openapi("FineTuningJob");
export type JobObject = z.infer<typeof JobObject>;

export function progressOf(job: JobRow): JobProgress {
  return { ...emptyProgress(), ...(job.progress as Partial<JobProgress> | null) };
}

export function jobObject(job: JobRow): JobObject {
  const config = job.config as unknown as JobConfig;
  const p = progressOf(job);
  return {
    object: "fine_tuning.job",
    id: job.id,
    created_at: unix(job.createdAt)!,
    error: job.error,
    fine_tuned_model: job.fineTunedModel,
    finished_at: unix(job.finishedAt),
    hyperparameters: config.hyperparameters,
    model: job.model,
    organization_id: job.tenantId,
    result_files: job.resultFiles,
    seed: job.seed,
    status: job.status,
    trained_tokens: job.trainedTokens,
    training_file: job.trainingFile,
    validation_file: job.validationFile,
    estimated_finish: unix(job.estimatedFinish),
    integrations: [],
    metadata: job.metadata,
    method: { type: "supervised", supervised: { hyperparameters: config.hyperparameters } },
    user_provided_suffix: job.suffix,
    backend: job.backend,
    training_type: config.training_type,
    pause_requested: job.pauseRequested,
    grades: {
      frozen_fraction: p.frozen_fraction,
      frozen_components: p.frozen_components,
      total_components: p.total_components,
      stop_reason: p.stop_reason,
      steps_completed: p.steps_completed,
      total_steps: p.total_steps,
      options: config.grades,
    },
    config: config as unknown as Record<string, unknown>,
  };
}

export const EventObject = z
  .object({
    object: z.literal("fine_tuning.job.event"),
    id: z.string(),
    created_at: z.number().int(),
    level: z.enum(["info", "warn", "error"]),
    message: z.string(),
    type: z.enum(["message", "metrics"]),
    data: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi("FineTuningJobEvent");
export type EventObject = z.infer<typeof EventObject>;

export interface EventRow {
  id: string;
  created_at: Date;
  level: string;
  message: string;
  type: string;
  data: Record<string, unknown> | null;
}

export function eventObject(r: EventRow): EventObject {
  return {
    object: "fine_tuning.job.event",
    id: r.id,
    created_at: unix(r.created_at)!,
    level: r.level as EventObject["level"],
    message: r.message,
    type: r.type as EventObject["type"],
    data: r.data ?? null,
  };
}

export const CheckpointObject = z
  .object({
    object: z.literal("fine_tuning.job.checkpoint"),
    id: z.string(),
    created_at: z.number().int(),
    fine_tuned_model_checkpoint: z.string(),
    fine_tuning_job_id: z.string(),
    step_number: z.number().int(),
    metrics: z.record(z.string(), z.unknown()),
  })
  .openapi("FineTuningJobCheckpoint");
export type CheckpointObject = z.infer<typeof CheckpointObject>;

export function checkpointObject(job: JobRow, c: CheckpointRow): CheckpointObject {
  return {
    object: "fine_tuning.job.checkpoint",
    id: c.id,
    created_at: unix(c.createdAt)!,
    fine_tuned_model_checkpoint: `${job.fineTunedModel ?? `ft:${job.model}:${job.id}`}:ckpt-step-${c.step}`,
    fine_tuning_job_id: job.id,
    step_number: c.step,
    metrics: c.metrics,
  };
}

/** Component names are Hugging Face module paths: `model.layers.3.self_attn.q_proj`. */
const COMPONENT = /layers\.(\d+)\.(?:self_attn|mlp)\.(\w+)$/;

export interface GradesView {
  object: "fine_tuning.job.grades";
  fine_tuning_job_id: string;
  status: string;
  steps_completed: number;
  total_steps: number | null;
  frozen_fraction: number;
  frozen_components: number;
  total_components: number | null;
  stop_reason: string | null;
  estimated_compute_saved: number | null;
  /** layer × matrix: the step it froze at (null: still training) and its latest G. */
  layers: {
    layer: number;
    matrices: Record<string, { frozen_at_step: number | null; latest_metric: number | null }>;
  }[];
  history: JobProgress["history"];
}

export function gradesView(job: JobRow): GradesView {
  const p = progressOf(job);
  const byLayer = new Map<number, GradesView["layers"][number]>();
  for (const [name, c] of Object.entries(p.components)) {
    const m = COMPONENT.exec(name);
    const layer = m ? Number(m[1]) : -1;
    const matrix = m ? m[2]! : name;
    const entry = byLayer.get(layer) ?? { layer, matrices: {} };
    entry.matrices[matrix] = { frozen_at_step: c.frozen_at_step, latest_metric: c.latest_metric };
    byLayer.set(layer, entry);
  }
  return {
    object: "fine_tuning.job.grades",
    fine_tuning_job_id: job.id,
    status: job.status,
    steps_completed: p.steps_completed,
    total_steps: p.total_steps,
    frozen_fraction: p.frozen_fraction,
    frozen_components: p.frozen_components,
    total_components: p.total_components,
    stop_reason: p.stop_reason,
    estimated_compute_saved: p.estimated_compute_saved,
    layers: [...byLayer.values()].sort((a, b) => a.layer - b.layer),
    history: p.history,
  };
}
