// The worker's public API: start a worker loop in this process.
export { type RunningWorker, startWorker, type WorkerDeps, type WorkerOptions } from "./worker.ts";
