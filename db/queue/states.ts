// The fine-tuning job state machine. Every move below is one guarded SQL statement in db/queue/sql.ts that also
// writes the job's webhook outbox row (and usually a job event) in the same statement, so a state change and
// its notification commit together or not at all.
//
//   validating_files  The API creates the job here after checking the request (model and files exist, files
//                     belong to the tenant and have purpose fine-tune; their lines were validated at upload).
//                     Out: the API moves it to queued in the same request once the files check out; cancel → cancelled.
//   queued            Waiting for a worker, no earlier than run_at. In: the API (create, resume), the rescuer (expired
//                     lease with attempts left), a worker releasing a job on shutdown or retrying after a transient
//                     error. Out: a worker's claim → running (FOR UPDATE SKIP LOCKED, per-tenant running limit);
//                     the API: pause → paused, cancel → cancelled.
//   running           Held by exactly one worker's lease (locked_by, locked_until), renewed by heartbeats.
//                     Out, all guarded by `locked_by = <that worker>`: success → succeeded; permanent error or
//                     attempts exhausted → failed; transient error → queued (retry delay); shutdown → queued;
//                     honoured pause request → paused. The API's cancel → cancelled (the worker sees it on its next
//                     heartbeat and stops). The rescuer: lease expired → queued (attempts left) or failed.
//   paused            Our extension (OpenAI reports `paused` too). In: the worker after checkpointing on a pause
//                     request, or the API pausing a job that was not running. Out: the API: resume → queued
//                     (training continues from the latest checkpoint), cancel → cancelled.
//   succeeded, failed, cancelled   Terminal: nothing moves a job out of them.

export const JOB_STATUSES = [
  "validating_files",
  "queued",
  "running",
  "paused",
  "succeeded",
  "failed",
  "cancelled",
] as const;

export type JobStatus = (typeof JOB_STATUSES)[number];

export const TERMINAL_STATUSES: readonly JobStatus[] = ["succeeded", "failed", "cancelled"];

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}
