// The job row as the queue and the API read it (camelCase): the drizzle row type of fine_tuning_jobs, its JSON
// columns typed, mapped from the queue's raw SQL rows by the schema's own columns.
import { rowMapper } from "../rows.ts";
import { type CheckpointRow, fineTuningCheckpoints, fineTuningJobs, type JobRow } from "../schema/jobs.ts";

export type { CheckpointRow, JobRow };

/** A failed job's `error` (OpenAI's shape). */
export interface JobError {
  code: string;
  message: string;
  param: string | null;
}

/** What a checkpoint row records about the training at its step (shown as the checkpoint's `metrics`). */
export type CheckpointMetrics = {
  step: number;
  train_loss: number;
  valid_loss?: number;
  frozen_fraction: number;
  /** Tokens trained up to this step: a run resumed from the checkpoint counts on from here. */
  trained_tokens: number;
};

export const mapJob = rowMapper(fineTuningJobs);
export const mapCheckpoint = rowMapper(fineTuningCheckpoints);
