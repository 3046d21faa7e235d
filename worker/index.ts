// The worker's public API: start a worker loop in this process.

export type { TrainFn } from "./context.ts";
export { type RunningWorker, startWorker, type WorkerDeps, type WorkerOptions } from "./worker.ts";
