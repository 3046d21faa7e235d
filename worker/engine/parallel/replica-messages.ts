// The messages between the trainer's replica pool (replicas.ts) and each data-parallel replica thread
// (replica-thread.ts). Weights and gradients do not travel in messages: they are in shared memory, laid out by
// `Slot`s, so a step's messages carry only a batch's rows and a few names.
import type { WasmMatMul } from "../backend.ts";
import type { Batch } from "../data/batches.ts";
import type { TrainSpec } from "../train/types.ts";

/** ReplicaInput.signal's cells: the running count of weights streamed, and whether the pool is closing. */
export const STREAMED = 0;
export const CLOSING = 1;

/** Where one trainable variable lives in the shared weight and gradient buffers (in float32 elements). */
export interface Slot {
  key: string;
  shape: number[];
  offset: number;
  size: number;
}

export interface ReplicaInput {
  modelDir: string;
  spec: Pick<TrainSpec, "trainingType" | "lora" | "seed">;
  layout: Slot[];
  /** The trainer's trainable weights, as of its last optimizer step (the keys in `updated` are fresh). */
  weights: SharedArrayBuffer;
  /** This replica's gradients, written at each step for the keys it was asked to differentiate. */
  grads: SharedArrayBuffer;
  /**
   * Two int32s: the running count of weights streamed into `weights` (see ToReplica's preload), and 1 once the
   * pool is closing.
   */
  signal: SharedArrayBuffer;
  /** wasm threads of this replica. */
  threads: number;
  /** The trainer's matmuls, so every replica computes its rows' products as the trainer does. */
  matMul: WasmMatMul;
  /** This replica's share of the activation cache's limit. */
  activationCacheBytes: number;
}

export type ToReplica = {
  type: "step";
  batch: Batch;
  /** Keys of the variables to differentiate (the components not frozen, and the untracked weights). */
  active: string[];
  /** The whole step's target count: every replica divides by it, so their gradients add up. */
  targets: number;
  cachedLayers: number;
  dropoutSeed: number;
  /** Keys whose shared weights changed since this replica last read them. */
  updated: string[];
  /**
   * After handing in the gradient, read the weights of `active`, in that order, as the trainer streams them:
   * the i-th is written once the streamed count has risen by i + 1.
   */
  preload: boolean;
};

export type FromReplica =
  | { type: "ready" }
  | { type: "done"; loss: number }
  | { type: "error"; message: string; stack?: string };
