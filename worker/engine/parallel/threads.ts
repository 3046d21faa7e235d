// How many threads the engine computes with: one rule for the default (every core) and the allowed range.
import { availableParallelism } from "node:os";
import { median } from "../median.ts";
import { MAX_WASM_THREADS } from "./threaded-wasm.ts";

export { MAX_WASM_THREADS };

/** All cores of this machine, up to the wasm backend's pool size. */
export function defaultThreadCount(): number {
  return Math.max(1, Math.min(availableParallelism(), MAX_WASM_THREADS));
}

/** The thread count to use: `requested` when given (checked), otherwise every core. */
export function resolveThreadCount(requested: number | undefined): number {
  if (requested === undefined) return defaultThreadCount();
  if (!Number.isInteger(requested) || requested < 1 || requested > MAX_WASM_THREADS) {
    throw new RangeError(`threads must be an integer from 1 to ${MAX_WASM_THREADS}, got ${requested}`);
  }
  return requested;
}

export interface ThreadPlan {
  /** Copies of the model that each compute a share of every micro-batch (1: no data parallelism). */
  replicas: number;
  /** wasm threads of each replica. */
  threadsPerReplica: number;
}

/**
 * How a training run on wasm uses its threads. Data-parallel replicas of one thread each scale better than one
 * multi-threaded backend (replicas.ts says why), so: as many replicas as threads, but no more than a micro-batch
 * has rows (a replica without rows idles) and no more than half the host's memory holds (each replica holds the
 * model and its activations; `replicaBytes` is the estimate of one). Threads left over go to each replica's
 * backend.
 */
export function threadPlan(
  threads: number,
  rows: number,
  replicaBytes: number,
  hostBytes: number,
): ThreadPlan {
  const byMemory = Math.max(1, Math.floor(hostBytes / 2 / Math.max(1, replicaBytes)));
  const replicas = Math.max(1, Math.min(threads, rows, byMemory));
  return { replicas, threadsPerReplica: Math.max(1, Math.floor(threads / replicas)) };
}

/**
 * Replicas start only when what is left of a run, at the speed of its first steps on one thread, takes at least
 * this long: each replica loads the model and a wasm module of its own (1-3 s), which a short run never earns
 * back.
 */
export const REPLICA_MIN_SECONDS = 20;
/** Steps a run computes alone before it decides (the first one includes the backend's warm-up). */
export const REPLICA_PROBE_STEPS = 2;

/** Whether starting replicas pays: the rest of the run would take at least `minSeconds` on one thread. */
export function replicasPayOff(
  stepSeconds: number,
  remainingSteps: number,
  minSeconds = REPLICA_MIN_SECONDS,
): boolean {
  return stepSeconds * remainingSteps >= minSeconds;
}

/**
 * Steps a run computes with its replicas, after the first (which includes their start), before it checks that
 * they are faster than one thread. Where the cores share their execution units (two hyper-threads of one core,
 * as on the 2-vCPU development machine) a replica can cost more in copies and waiting than its half of the rows
 * saves: measured there, full fine-tuning of the bench model on OpenBLAS ran at 0.95x one thread.
 */
export const REPLICA_CHECK_STEPS = 3;

/** Whether replicas keep their place: their steps take at most 95 % of one thread's time per token. */
export function replicasKeepPaying(soloSecondsPerToken: number, replicaSecondsPerToken: number[]): boolean {
  return median(replicaSecondsPerToken) <= 0.95 * soloSecondsPerToken;
}
