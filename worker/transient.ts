// Which failures are worth retrying: a dropped or restarted database connection, a network error towards the
// database or object storage. Anything else (a bad dataset, a bug) fails the same way the next time; a failure
// caused by the job's input (the engine's InputError) fails the job at once with its message.
import { CheckpointError, DataFormatError, InputError, TrainSpecError } from "./engine/index.ts";

const TRANSIENT_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  // Postgres: admin_shutdown (pg_terminate_backend), crash_shutdown, cannot_connect_now, serialization and
  // deadlock failures (the statement can simply be run again).
  "57P01",
  "57P02",
  "57P03",
  "40001",
  "40P01",
]);

export function isTransient(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (TRANSIENT_CODES.has(code) || code.startsWith("08"))) return true;
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== undefined && (status >= 500 || status === 429)) return true;
  }
  return false;
}

export interface RetryOptions {
  /** Tries in all (default 8). */
  tries?: number;
  /** First back-off in ms, doubled each time, capped at 5 s (default 200). */
  baseMs?: number;
  onRetry?: (err: unknown, attempt: number) => void;
}

/** Runs `fn`, retrying transient failures with exponential back-off; other errors are thrown at once. */
export async function withRetry<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const tries = opts.tries ?? 8;
  const base = opts.baseMs ?? 200;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= tries || !isTransient(err)) throw err;
      opts.onRetry?.(err, attempt);
      await new Promise((r) => setTimeout(r, Math.min(base * 2 ** (attempt - 1), 5000)));
    }
  }
}

/** How a job whose input is bad fails: the error code and message its users see, and the request field at fault. */
export interface InputFailure {
  code: string;
  message: string;
  param: string | null;
}

/** The failure of a job for an input error (bad options, data, model folder or checkpoint); null for others. */
export function inputFailure(err: unknown): InputFailure | null {
  if (!(err instanceof InputError)) return null;
  const message = err.message;
  if (err instanceof TrainSpecError) return { code: "invalid_hyperparameters", message, param: err.field };
  if (err instanceof DataFormatError) {
    const param = err.problem.startsWith("validation file:") ? "validation_file" : "training_file";
    return { code: "invalid_training_file", message, param };
  }
  if (err instanceof CheckpointError) return { code: "invalid_checkpoint", message, param: null };
  return { code: "invalid_model", message, param: "model" };
}
