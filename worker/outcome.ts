// How one run of a claimed job ended, decided in one place from what the lease learned (the stop cause) and how
// training ended (a summary or an error). run-job.ts's `settle` turns each outcome into the one queue operation
// that db/queue/states.ts names for it.
import type { JobError } from "../db/queue/jobs.ts";
import type { TrainSummary } from "./engine/index.ts";
import type { StopCause } from "./lease.ts";
import { LeaseLostError } from "./results.ts";
import { inputFailure } from "./transient.ts";

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

export function permanentOf(err: unknown): PermanentJobError | null {
  if (err instanceof PermanentJobError) return err;
  const input = inputFailure(err);
  return input ? new PermanentJobError(input.code, input.message, input.param) : null;
}

export type Outcome =
  /** Trained to the end: record the results; running → succeeded. */
  | { kind: "succeeded"; summary: TrainSummary }
  /** A permanent error: running → failed. */
  | { kind: "failed"; error: JobError; cause: unknown }
  /** Anything else that went wrong: running → queued after the retry delay, or → failed without attempts left. */
  | { kind: "retry"; message: string; cause: unknown }
  /** Stopped on a pause request, its checkpoint stored: running → paused. */
  | { kind: "paused" }
  /** Stopped because the worker shuts down: running → queued at once, the attempt given back. */
  | { kind: "released" }
  /** The API cancelled the job (it is cancelled already): let go of the lease, keep no output. */
  | { kind: "cancelled" }
  /** Another worker holds the job now: touch nothing of it. */
  | { kind: "lost" };

export type RunEnd = { summary: TrainSummary } | { error: unknown };

export function outcomeOf(cause: StopCause | null, end: RunEnd): Outcome {
  if (cause === "lost") return { kind: "lost" };
  if ("error" in end) {
    // Refused at the very end (results not recorded): the API cancelled the job meanwhile, or another worker
    // holds it. Letting go of the lease tells which; see settle.
    if (cause === "cancel" || end.error instanceof LeaseLostError) return { kind: "cancelled" };
    const permanent = permanentOf(end.error);
    if (permanent) {
      return {
        kind: "failed",
        error: { code: permanent.code, message: permanent.message, param: permanent.param },
        cause: end.error,
      };
    }
    const err = end.error as Error | undefined;
    return { kind: "retry", message: err?.message ?? String(end.error), cause: end.error };
  }
  if (end.summary.stopReason === "cancelled") {
    // Training stopped on our signal: the job goes where the signal came from.
    if (cause === "cancel") return { kind: "cancelled" };
    if (cause === "pause") return { kind: "paused" };
    return { kind: "released" };
  }
  if (cause === "cancel") return { kind: "cancelled" };
  return { kind: "succeeded", summary: end.summary };
}
