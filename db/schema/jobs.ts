// Fine-tuning jobs and what hangs off them: the job row doubles as the queue entry (status, run_at, lease
// columns), its events, its checkpoints, and the webhook outbox that every state change writes to.
// The state machine and the queue's guarantees are described in db/queue/states.ts and docs/jobs.md.
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import type { JobConfig } from "../queue/job-config.ts";
import type { CheckpointMetrics, JobError } from "../queue/jobs.ts";
import type { JobProgress } from "../queue/progress.ts";
import { JOB_STATUSES } from "../queue/states.ts";
import { tz } from "./columns.ts";
import { tenants } from "./tenants.ts";

export const fineTuningJobs = pgTable(
  "fine_tuning_jobs",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    status: text("status", { enum: JOB_STATUSES }).notNull(),
    model: text("model").notNull(),
    trainingFile: text("training_file").notNull(),
    validationFile: text("validation_file"),
    suffix: text("suffix"),
    seed: integer("seed").notNull(),
    metadata: jsonb("metadata").$type<Record<string, string>>(),
    /** The request with every "auto" resolved: what the worker turns into the engine's TrainSpec. */
    config: jsonb("config").$type<JobConfig>().notNull(),
    fineTunedModel: text("fine_tuned_model"),
    /** bigint: a long run on a large dataset passes 2^31 tokens. */
    trainedTokens: bigint("trained_tokens", { mode: "number" }),
    resultFiles: jsonb("result_files").$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    error: jsonb("error").$type<JobError>(),
    estimatedFinish: tz("estimated_finish"),
    backend: text("backend"),
    /** Training progress and GradES statistics (steps, frozen fraction, freeze map, metric history). */
    progress: jsonb("progress").$type<Partial<JobProgress>>(),
    createdAt: tz("created_at").notNull().defaultNow(),
    startedAt: tz("started_at"),
    finishedAt: tz("finished_at"),
    updatedAt: tz("updated_at").notNull().defaultNow(),
    // Queue columns: when the job may next run, how often it was claimed, and the lease.
    runAt: tz("run_at").notNull().defaultNow(),
    attempts: integer("attempts").notNull().default(0),
    maxAttempts: integer("max_attempts").notNull().default(3),
    lockedBy: text("locked_by"),
    lockedUntil: tz("locked_until"),
    heartbeatAt: tz("heartbeat_at"),
    /** Set by POST /pause on a running job; the lease holder checkpoints and moves the job to paused. */
    pauseRequested: boolean("pause_requested").notNull().default(false),
    lastError: text("last_error"),
  },
  (t) => [
    // Built from the one list of statuses; the SQL text is what migration 0001 created.
    check(
      "fine_tuning_jobs_status_check",
      sql`${t.status} in (${sql.raw(JOB_STATUSES.map((s) => `'${s}'`).join(", "))})`,
    ),
    index("fine_tuning_jobs_claim_idx").on(t.runAt, t.createdAt).where(sql`status = 'queued'`),
    index("fine_tuning_jobs_running_idx").on(t.tenantId, t.lockedUntil).where(sql`status = 'running'`),
    index("fine_tuning_jobs_tenant_list_idx").on(t.tenantId, t.createdAt, t.id),
  ],
);

export const fineTuningJobEvents = pgTable(
  "fine_tuning_job_events",
  {
    /** Insertion order: events are listed newest first and paged with `after`. */
    seq: bigint("seq", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    id: text("id").notNull(),
    jobId: text("job_id")
      .notNull()
      .references(() => fineTuningJobs.id, { onDelete: "cascade" }),
    level: text("level").notNull().default("info"),
    /** "message" for lifecycle events, "metrics" for training metrics (OpenAI's two event types). */
    type: text("type").notNull().default("message"),
    message: text("message").notNull(),
    data: jsonb("data").$type<Record<string, unknown>>(),
    createdAt: tz("created_at").notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("fine_tuning_job_events_id_idx").on(t.id),
    index("fine_tuning_job_events_job_idx").on(t.jobId, t.seq),
  ],
);

export const fineTuningCheckpoints = pgTable(
  "fine_tuning_checkpoints",
  {
    id: text("id").primaryKey(),
    jobId: text("job_id")
      .notNull()
      .references(() => fineTuningJobs.id, { onDelete: "cascade" }),
    step: integer("step").notNull(),
    /** Object-storage prefix holding the engine's checkpoint folder (weights, optimizer, GradES state, data position). */
    storagePrefix: text("storage_prefix").notNull(),
    metrics: jsonb("metrics").$type<CheckpointMetrics>().notNull(),
    createdAt: tz("created_at").notNull().defaultNow(),
  },
  (t) => [uniqueIndex("fine_tuning_checkpoints_job_step_idx").on(t.jobId, t.step)],
);

/** Transactional outbox: written in the same statement as the state change it announces; delivered later. */
export const webhookOutbox = pgTable(
  "webhook_outbox",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    /** e.g. fine_tuning.job.succeeded */
    type: text("type").notNull(),
    data: jsonb("data").$type<Record<string, unknown>>().notNull(),
    createdAt: tz("created_at").notNull().defaultNow(),
    deliveredAt: tz("delivered_at"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: tz("next_attempt_at").notNull().defaultNow(),
  },
  (t) => [index("webhook_outbox_pending_idx").on(t.nextAttemptAt).where(sql`delivered_at is null`)],
);

export type JobRow = typeof fineTuningJobs.$inferSelect;
export type CheckpointRow = typeof fineTuningCheckpoints.$inferSelect;
