// Queue operations over plain SQL (db/queue/sql.ts). Each takes the executor to run on, so a caller can make
// an operation part of its own transaction (transactional enqueue: a job exists exactly when the caller's
// transaction commits). Guarantees and the state machine: db/queue/states.ts and docs/jobs.md.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { SqlExecutor } from "../client.ts";
import { newId } from "../ids.ts";
import {
  type CheckpointMetrics,
  type CheckpointRow,
  type JobError,
  type JobRow,
  mapCheckpoint,
  mapJob,
} from "./jobs.ts";
import type { JobProgress } from "./progress.ts";
import { type RetryPolicy, retrySchedule } from "./retry.ts";
import * as Q from "./sql.ts";

export { JOBS_CHANNEL } from "./sql.ts";
export type { CheckpointRow };

export interface QueueOptions {
  /** How long a claim or heartbeat keeps the job; a holder that stops heartbeating loses it after this. */
  leaseSeconds: number;
  /** Running jobs allowed per tenant at once. */
  runningPerTenant: number;
  retry: RetryPolicy;
}

export const DEFAULT_QUEUE_OPTIONS: QueueOptions = {
  leaseSeconds: 30,
  runningPerTenant: 2,
  retry: { baseSeconds: 5, maxSeconds: 600 },
};

/** A worker's lease-holder name: host, process and a random part, so restarts never reuse one. */
export function newWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
}

/** What the API decides about a new job; the queue fills in the rest of the row. */
export type EnqueueInput = Pick<
  JobRow,
  | "tenantId"
  | "model"
  | "trainingFile"
  | "validationFile"
  | "suffix"
  | "seed"
  | "metadata"
  | "config"
  | "maxAttempts"
> & { id?: string };

const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));
const first = <T>(rows: T[]): T | null => rows[0] ?? null;

/** Inserts a job in validating_files (with its event and outbox row). */
export async function enqueue(sql: SqlExecutor, input: EnqueueInput): Promise<JobRow> {
  const rows = await sql.query(Q.ENQUEUE, [
    input.id ?? newId("ftjob-"),
    input.tenantId,
    input.model,
    input.trainingFile,
    input.validationFile,
    input.suffix,
    input.seed,
    json(input.metadata),
    json(input.config),
    input.maxAttempts,
  ]);
  return mapJob(rows[0]!);
}

/** validating_files → queued; wakes idle workers at commit. */
export async function markQueued(sql: SqlExecutor, jobId: string): Promise<JobRow | null> {
  const row = first(await sql.query(Q.MARK_QUEUED, [jobId]));
  return row && mapJob(row);
}

/**
 * Claims the next job for `workerId`, or null when none is claimable now. Never returns a job another claimer
 * holds (row lock + SKIP LOCKED) and never exceeds the per-tenant running limit (tenant advisory lock).
 */
export async function claim(sql: SqlExecutor, workerId: string, opts: QueueOptions): Promise<JobRow | null> {
  return sql.transaction(async (tx) => {
    const picked = first(
      await tx.query<{ id: string; tenant_id: string }>(Q.CLAIM_PICK, [opts.runningPerTenant]),
    );
    if (!picked) return null;
    const row = first(
      await tx.query(Q.CLAIM_TAKE, [picked.id, workerId, opts.leaseSeconds, opts.runningPerTenant]),
    );
    return row && mapJob(row);
  });
}

export interface HeartbeatResult {
  status: JobRow["status"];
  pauseRequested: boolean;
}

/** Renews the lease; null means the lease is lost (rescued or never held): stop touching the job. */
export async function heartbeat(
  sql: SqlExecutor,
  jobId: string,
  workerId: string,
  leaseSeconds: number,
): Promise<HeartbeatResult | null> {
  const row = first(
    await sql.query<{ status: string; pause_requested: boolean }>(Q.HEARTBEAT, [
      jobId,
      workerId,
      leaseSeconds,
    ]),
  );
  return row && { status: row.status as JobRow["status"], pauseRequested: Boolean(row.pause_requested) };
}

export interface SuccessInput {
  fineTunedModel: string;
  resultFiles: string[];
  trainedTokens: number;
  progress: JobProgress;
  backend: string;
}

/** running → succeeded; null when the worker no longer holds the job (its result must then be discarded). */
export async function succeed(
  sql: SqlExecutor,
  jobId: string,
  workerId: string,
  out: SuccessInput,
): Promise<JobRow | null> {
  const row = first(
    await sql.query(Q.SUCCEED, [
      jobId,
      workerId,
      out.fineTunedModel,
      JSON.stringify(out.resultFiles),
      out.trainedTokens,
      JSON.stringify(out.progress),
      out.backend,
    ]),
  );
  return row && mapJob(row);
}

/** running → failed for good (bad data, diverged training: retrying would fail again). */
export async function fail(
  sql: SqlExecutor,
  jobId: string,
  workerId: string,
  error: JobError,
): Promise<JobRow | null> {
  const row = first(await sql.query(Q.FAIL, [jobId, workerId, JSON.stringify(error)]));
  return row && mapJob(row);
}

/** running → queued after the retry delay, or → failed when the attempts are used up. */
export async function retryLater(
  sql: SqlExecutor,
  jobId: string,
  workerId: string,
  message: string,
  opts: QueueOptions,
  maxAttempts: number,
): Promise<JobRow | null> {
  const schedule = JSON.stringify(retrySchedule(maxAttempts, opts.retry));
  const row = first(await sql.query(Q.RETRY_LATER, [jobId, workerId, schedule, message]));
  return row && mapJob(row);
}

/** running → queued at once, attempt given back (clean shutdown). */
export async function release(sql: SqlExecutor, jobId: string, workerId: string): Promise<JobRow | null> {
  const row = first(await sql.query(Q.RELEASE, [jobId, workerId]));
  return row && mapJob(row);
}

/** running → paused (after checkpointing on a pause request). */
export async function pauseHeld(sql: SqlExecutor, jobId: string, workerId: string): Promise<JobRow | null> {
  const row = first(await sql.query(Q.PAUSE_HELD, [jobId, workerId]));
  return row && mapJob(row);
}

/** Lets go of a job the API already moved out of running (cancelled). */
export async function dropLease(sql: SqlExecutor, jobId: string, workerId: string): Promise<boolean> {
  return (await sql.query(Q.DROP_LEASE, [jobId, workerId])).length > 0;
}

/** Reclaims every expired lease; returns the jobs it moved (queued again, or failed when out of attempts). */
export async function rescueExpired(
  sql: SqlExecutor,
  opts: QueueOptions,
  maxAttempts = 10,
): Promise<JobRow[]> {
  // The schedule covers the largest max_attempts in use; past its end the last (capped) delay applies.
  const schedule = JSON.stringify(retrySchedule(maxAttempts, opts.retry));
  return (await sql.query(Q.RESCUE, [schedule])).map(mapJob);
}

/** The API's cancel; null when the job is not the tenant's or already finished. */
export async function cancel(sql: SqlExecutor, jobId: string, tenantId: string): Promise<JobRow | null> {
  const row = first(await sql.query(Q.CANCEL, [jobId, tenantId]));
  return row && mapJob(row);
}

/** The API's pause: a waiting job pauses at once, a running one is asked to (it stays running until its worker checkpoints). */
export async function requestPause(
  sql: SqlExecutor,
  jobId: string,
  tenantId: string,
): Promise<JobRow | null> {
  const waiting = first(await sql.query(Q.PAUSE_WAITING, [jobId, tenantId]));
  if (waiting) return mapJob(waiting);
  const running = first(await sql.query(Q.REQUEST_PAUSE, [jobId, tenantId]));
  return running && mapJob(running);
}

/** The API's resume: paused → queued, or a pending pause request withdrawn. */
export async function resume(sql: SqlExecutor, jobId: string, tenantId: string): Promise<JobRow | null> {
  const paused = first(await sql.query(Q.RESUME, [jobId, tenantId]));
  if (paused) return mapJob(paused);
  const running = first(await sql.query(Q.WITHDRAW_PAUSE, [jobId, tenantId]));
  return running && mapJob(running);
}

/** Records an uploaded checkpoint; null when the worker no longer holds the job. */
export async function recordCheckpoint(
  sql: SqlExecutor,
  jobId: string,
  workerId: string,
  ckpt: { step: number; storagePrefix: string; metrics: CheckpointMetrics },
): Promise<CheckpointRow | null> {
  const row = first(
    await sql.query(Q.RECORD_CHECKPOINT, [
      jobId,
      workerId,
      newId("ftckpt-"),
      ckpt.step,
      ckpt.storagePrefix,
      JSON.stringify(ckpt.metrics),
    ]),
  );
  return row && mapCheckpoint(row);
}

export async function latestCheckpoint(sql: SqlExecutor, jobId: string): Promise<CheckpointRow | null> {
  const row = first(await sql.query(Q.LATEST_CHECKPOINT, [jobId]));
  return row && mapCheckpoint(row);
}

export interface NewEvent {
  level?: "info" | "warn" | "error";
  type?: "message" | "metrics";
  message: string;
  data?: Record<string, unknown> | null;
}

/** Appends events in order; false when the worker no longer holds the job (nothing was written). */
export async function addEvents(
  sql: SqlExecutor,
  jobId: string,
  workerId: string,
  events: NewEvent[],
): Promise<boolean> {
  if (events.length === 0) return true;
  const payload = events.map((e) => ({
    id: newId("ftevent-"),
    level: e.level ?? "info",
    type: e.type ?? "message",
    message: e.message,
    data: e.data ?? null,
  }));
  return (await sql.query(Q.ADD_EVENTS, [jobId, workerId, JSON.stringify(payload)])).length > 0;
}

export interface ProgressInput {
  progress: JobProgress;
  trainedTokens: number;
  estimatedFinish: Date | null;
  backend: string | null;
}

export async function updateProgress(
  sql: SqlExecutor,
  jobId: string,
  workerId: string,
  p: ProgressInput,
): Promise<boolean> {
  const rows = await sql.query(Q.UPDATE_PROGRESS, [
    jobId,
    workerId,
    JSON.stringify(p.progress),
    p.trainedTokens,
    p.estimatedFinish,
    p.backend,
  ]);
  return rows.length > 0;
}
