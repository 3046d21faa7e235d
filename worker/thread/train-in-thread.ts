// train() on a thread of its own. A training step holds its thread for as long as it computes (seconds to
// minutes for larger models on CPU): on the worker's main thread that would stall heartbeats, so the lease
// could expire under a live job, and in `npm start` it would stall the API. Same contract as train():
// events are awaited, the signal aborts (the engine checkpoints first), engine errors keep their class.
import { Worker } from "node:worker_threads";
import * as engine from "../engine/index.ts";
import { InputError, type TrainHooks, type TrainSpec, type TrainSummary } from "../engine/index.ts";
import type { SerializedError, ThreadInput, ToMain, ToThread } from "./messages.ts";

// From the sources (tsx) the thread needs tsx's loader, which boot.mjs registers; the built form (dist/) starts
// the compiled thread body directly, with plain node.
const THREAD_ENTRY = import.meta.url.endsWith(".ts")
  ? new URL("./boot.mjs", import.meta.url)
  : new URL("./train-thread.js", import.meta.url);

/**
 * The prototype an error comes back with: an input error's own class when the engine exports one by its name
 * (DataFormatError, TrainSpecError, …), else InputError for any other input error, else Error.
 */
function prototypeOf(e: SerializedError): Error {
  const exported = (engine as Record<string, unknown>)[e.name];
  if (typeof exported === "function" && exported.prototype instanceof InputError) return exported.prototype;
  return e.input ? InputError.prototype : Error.prototype;
}

export function reviveError(e: SerializedError): Error {
  const err: Error = Object.create(prototypeOf(e));
  Object.assign(err, e.fields, { message: e.message });
  Object.defineProperty(err, "name", {
    value: e.name,
    enumerable: false,
    writable: true,
    configurable: true,
  });
  if (e.stack) err.stack = e.stack;
  return err;
}

export function trainInThread(spec: TrainSpec, hooks: TrainHooks = {}): Promise<TrainSummary> {
  // Here, on the main thread: OpenBLAS, loaded by the thread, reads the process's environment, not the thread's.
  engine.pinOpenBlasCore(process.env);
  return new Promise<TrainSummary>((resolve, reject) => {
    const thread = new Worker(THREAD_ENTRY, { workerData: { spec } satisfies ThreadInput });
    const post = (m: ToThread) => thread.postMessage(m);
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      hooks.signal?.removeEventListener("abort", onAbort);
      fn();
    };
    const onAbort = () => post({ type: "abort" });
    if (hooks.signal?.aborted) onAbort();
    else hooks.signal?.addEventListener("abort", onAbort, { once: true });

    thread.on("message", (m: ToMain) => {
      if (m.type === "event") {
        Promise.resolve()
          .then(() => hooks.onEvent?.(m.event))
          .then(
            () => post({ type: "ack", id: m.id }),
            (err) => {
              // The consumer failed (e.g. a checkpoint upload ran out of retries): stop training, report that error.
              settle(() => reject(err));
              void thread.terminate();
            },
          );
      } else if (m.type === "done") settle(() => resolve(m.summary));
      else settle(() => reject(reviveError(m.error)));
    });
    thread.on("error", (err) => settle(() => reject(err)));
    thread.on("exit", (code) =>
      settle(() => reject(new Error(`the training thread exited (code ${code}) before it finished`))),
    );
  });
}
