// The messages between a worker process and the thread that trains for it (worker/thread/train-in-thread.ts).
import { InputError, type TrainEvent, type TrainSpec, type TrainSummary } from "../engine/index.ts";

export interface ThreadInput {
  spec: TrainSpec;
}

/** An error as plain data: its class name, message, stack and own fields (line, field, …). */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  fields: Record<string, unknown>;
  /** An engine InputError (bad options, data, model folder or checkpoint): the job fails without retrying. */
  input: boolean;
}

export type ToMain =
  | { type: "event"; id: number; event: TrainEvent }
  | { type: "done"; summary: TrainSummary }
  | { type: "error"; error: SerializedError };

export type ToThread = { type: "ack"; id: number } | { type: "abort" };

export function serializeError(err: unknown): SerializedError {
  if (!(err instanceof Error)) return { name: "Error", message: String(err), fields: {}, input: false };
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(err)) {
    if (k !== "name" && k !== "message" && k !== "stack" && typeof v !== "function") fields[k] = v;
  }
  const input = err instanceof InputError;
  return { name: err.name, message: err.message, ...(err.stack ? { stack: err.stack } : {}), fields, input };
}
