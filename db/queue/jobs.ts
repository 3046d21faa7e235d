// The job row as the queue and the API read it (camelCase), mapped from the raw SQL rows.
import type { Row } from "../client.ts";
import type { JobStatus } from "./states.ts";

export interface JobError {
  code: string;
  message: string;
  param: string | null;
}

export interface JobRow {
  id: string;
  tenantId: string;
  status: JobStatus;
  model: string;
  trainingFile: string;
  validationFile: string | null;
  suffix: string | null;
  seed: number;
  metadata: Record<string, string> | null;
  config: Record<string, unknown>;
  fineTunedModel: string | null;
  trainedTokens: number | null;
  resultFiles: string[];
  error: JobError | null;
  estimatedFinish: Date | null;
  backend: string | null;
  progress: Record<string, unknown> | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
  runAt: Date;
  attempts: number;
  maxAttempts: number;
  lockedBy: string | null;
  lockedUntil: Date | null;
  heartbeatAt: Date | null;
  pauseRequested: boolean;
  lastError: string | null;
}

const date = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));
const dateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : date(v));

export function mapJob(r: Row): JobRow {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    status: r.status as JobStatus,
    model: r.model as string,
    trainingFile: r.training_file as string,
    validationFile: (r.validation_file as string | null) ?? null,
    suffix: (r.suffix as string | null) ?? null,
    seed: Number(r.seed),
    metadata: (r.metadata as Record<string, string> | null) ?? null,
    config: (r.config as Record<string, unknown>) ?? {},
    fineTunedModel: (r.fine_tuned_model as string | null) ?? null,
    trainedTokens:
      r.trained_tokens === null || r.trained_tokens === undefined ? null : Number(r.trained_tokens),
    resultFiles: (r.result_files as string[] | null) ?? [],
    error: (r.error as JobError | null) ?? null,
    estimatedFinish: dateOrNull(r.estimated_finish),
    backend: (r.backend as string | null) ?? null,
    progress: (r.progress as Record<string, unknown> | null) ?? null,
    createdAt: date(r.created_at),
    startedAt: dateOrNull(r.started_at),
    finishedAt: dateOrNull(r.finished_at),
    updatedAt: date(r.updated_at),
    runAt: date(r.run_at),
    attempts: Number(r.attempts),
    maxAttempts: Number(r.max_attempts),
    lockedBy: (r.locked_by as string | null) ?? null,
    lockedUntil: dateOrNull(r.locked_until),
    heartbeatAt: dateOrNull(r.heartbeat_at),
    pauseRequested: Boolean(r.pause_requested),
    lastError: (r.last_error as string | null) ?? null,
  };
}
