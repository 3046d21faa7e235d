// Data-parallel training over worker threads, as DistributedDataParallel does it on CPU: each replica holds a
// copy of the model on a single-threaded wasm backend of its own and computes the gradient of its share of each
// micro-batch's rows; the trainer computes the first share itself, sums the replicas' gradients from shared
// memory (in replica order, so a run is reproducible) and takes the one optimizer step, then publishes the
// weights it changed for the replicas to read at the next step. After a step's last micro-batch they are
// streamed: each replica, having handed in its gradient, waits on a shared counter and reads every weight as
// soon as the optimizer has written it, so by the time the next step starts it holds them all, and the copies
// into and out of shared memory overlap the optimizer instead of following it. Everything that decides
// (GradES, clipping, AdamW, checkpoints) happens once, in the trainer, on the summed gradient: the same G and the
// same step as one thread on the whole batch, up to the order of float32 additions.
//
// This beats the threaded wasm build (threaded-wasm.ts) on CPU because that one parallelises only XNNPACK's
// matrix products; every other kernel, and the JavaScript between kernels, runs on one thread.
import { Worker } from "node:worker_threads";
import type * as tf from "@tensorflow/tfjs-core";
import { wasmStartedMatMul } from "../backend.ts";
import type { Batch } from "../data/batches.ts";
import type { WeightSink } from "../train/adamw.ts";
import type { TrainSpec } from "../train/types.ts";
import {
  CLOSING,
  type FromReplica,
  type ReplicaInput,
  type Slot,
  STREAMED,
  type ToReplica,
} from "./replica-messages.ts";
import { floatsOf } from "./tensor-floats.ts";

// From the sources (tsx) the thread needs tsx's loader, which the boot file registers; the built form (dist/)
// starts the compiled thread body directly.
const ENTRY = import.meta.url.endsWith(".ts")
  ? new URL("./replica-boot.mjs", import.meta.url)
  : new URL("./replica-thread.js", import.meta.url);

export interface ReplicaPoolOptions {
  modelDir: string;
  spec: Pick<TrainSpec, "trainingType" | "lora" | "seed">;
  /** The trainer's trainable variables by key, in the order trainableVariables() lists them. */
  variables: { key: string; variable: tf.Variable }[];
  /** Replica threads besides the trainer's own. */
  count: number;
  /** wasm threads of each replica. */
  threads: number;
  activationCacheBytes: number;
}

/** A step's weights on their way to the replicas: the keys they wait for, in order, and those written. */
interface WeightStream {
  keys: string[];
  written: Set<string>;
  /** How many of `keys`, from the first, are written (the count the replicas see). */
  next: number;
}

interface Replica {
  worker: Worker;
  grads: Float32Array;
  /** Settles the step in flight. */
  pending?: { resolve: (loss: number) => void; reject: (err: Error) => void };
  failure?: Error;
}

export class ReplicaPool implements WeightSink {
  private readonly slots = new Map<string, Slot>();
  private readonly weights: Float32Array;
  /** Weights changed since the replicas last read them: every one at first, so they start from the trainer's. */
  private readonly stale: Set<string>;
  private readonly signal: Int32Array;
  /** Weights streamed since the pool started (signal[STREAMED] follows it). */
  private streamedTotal = 0;
  /**
   * The keys the replicas wait for after the last compute(), in their order, and those written so far: the
   * count is raised over the longest written prefix, whatever order the optimizer takes.
   */
  private stream: WeightStream | undefined;

  private constructor(
    private readonly replicas: Replica[],
    layout: Slot[],
    weights: SharedArrayBuffer,
    signal: SharedArrayBuffer,
    private readonly variables: Map<string, tf.Variable>,
  ) {
    for (const s of layout) this.slots.set(s.key, s);
    this.weights = new Float32Array(weights);
    this.signal = new Int32Array(signal);
    this.stale = new Set(layout.map((s) => s.key));
  }

  /** Starts the replicas and waits until each has loaded its model. */
  static async start(o: ReplicaPoolOptions): Promise<ReplicaPool> {
    let offset = 0;
    const layout: Slot[] = o.variables.map(({ key, variable }) => {
      const slot = { key, shape: [...variable.shape], offset, size: variable.size };
      offset += variable.size;
      return slot;
    });
    const weights = new SharedArrayBuffer(offset * 4);
    const signal = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
    const replicas: Replica[] = [];
    try {
      for (let i = 0; i < o.count; i++) {
        const grads = new SharedArrayBuffer(offset * 4);
        const input: ReplicaInput = {
          modelDir: o.modelDir,
          spec: { trainingType: o.spec.trainingType, lora: o.spec.lora, seed: o.spec.seed },
          layout,
          weights,
          grads,
          signal,
          threads: o.threads,
          matMul: wasmStartedMatMul() ?? "xnnpack",
          activationCacheBytes: o.activationCacheBytes,
        };
        replicas.push({ worker: new Worker(ENTRY, { workerData: input }), grads: new Float32Array(grads) });
      }
      await Promise.all(replicas.map(ready));
    } catch (err) {
      await Promise.all(replicas.map((r) => r.worker.terminate()));
      throw err;
    }
    const pool = new ReplicaPool(
      replicas,
      layout,
      weights,
      signal,
      new Map(o.variables.map((v) => [v.key, v.variable])),
    );
    for (const r of replicas) pool.listen(r);
    return pool;
  }

  /** Replica threads besides the trainer's own. */
  get size(): number {
    return this.replicas.length;
  }

  private listen(r: Replica): void {
    const fail = (err: Error) => {
      r.failure = err;
      r.pending?.reject(err);
      r.pending = undefined;
    };
    r.worker.on("message", (m: FromReplica) => {
      if (m.type === "done") r.pending?.resolve(m.loss);
      else if (m.type === "error")
        fail(Object.assign(new Error(m.message), m.stack ? { stack: m.stack } : {}));
      if (m.type !== "ready") r.pending = undefined;
    });
    r.worker.on("error", fail);
    r.worker.on("exit", (code) => fail(new Error(`a data-parallel replica exited (code ${code})`)));
  }

  /** Marks variables the trainer has just changed; they are published before the next step. */
  markUpdated(keys: Iterable<string>): void {
    for (const k of keys) this.stale.add(k);
  }

  /** Copies the changed weights into shared memory (one pass over each). */
  private publish(): string[] {
    const keys = [...this.stale];
    for (const key of keys) this.write(key);
    this.stale.clear();
    return keys;
  }

  private write(key: string): void {
    this.weights.set(floatsOf(this.variables.get(key)!), this.slots.get(key)!.offset);
  }

  /** The open stream, when its replicas still wait for `key`. */
  private awaiting(key: string): WeightStream | undefined {
    const s = this.stream;
    return s?.keys.includes(key) && !s.written.has(key) ? s : undefined;
  }

  /** Where the optimizer writes `key`'s new weights for replicas waiting for it (see compute's stream). */
  target(key: string): Float32Array | undefined {
    if (!this.awaiting(key)) return undefined;
    const slot = this.slots.get(key)!;
    return this.weights.subarray(slot.offset, slot.offset + slot.size);
  }

  /**
   * The optimizer has just changed `key`, and written it to target(key) if that gave an array: then it is
   * streamed at once, otherwise published before the next step.
   */
  updated(key: string): void {
    const s = this.awaiting(key);
    if (!s) {
      this.markUpdated([key]);
      return;
    }
    this.stale.delete(key);
    s.written.add(key);
    let raised = false;
    while (s.next < s.keys.length && s.written.has(s.keys[s.next]!)) {
      s.next++;
      this.streamedTotal++;
      raised = true;
    }
    if (raised) {
      Atomics.store(this.signal, STREAMED, this.streamedTotal);
      Atomics.notify(this.signal, STREAMED);
    }
  }

  /** Ends a stream: a weight the optimizer did not change is streamed as it is, so no replica waits on. */
  endStream(): void {
    const s = this.stream;
    if (!s) return;
    for (const key of s.keys) {
      if (s.written.has(key)) continue;
      this.write(key);
      this.updated(key);
    }
    this.stream = undefined;
  }

  /**
   * Starts the gradient of `parts[i]` on replica i (at most `size` parts) and resolves to their summed losses,
   * each divided by `targets`, once all are done; gradientsOf() then reads each replica's gradient.
   * With `stream` (the step's last micro-batch), the replicas then wait for the weights of `active` as the
   * optimizer writes them: the caller hands the pool to the optimizer as its WeightSink (target(), updated())
   * and ends with endStream().
   */
  compute(
    parts: Batch[],
    active: string[],
    targets: number,
    cachedLayers: number,
    dropoutSeed: number,
    stream = false,
  ): Promise<number[]> {
    if (parts.length > this.replicas.length) throw new Error("more batch parts than replicas");
    // A stream a failed step left open would keep replicas waiting instead of reading this message.
    this.endStream();
    const updated = this.publish();
    // Only when every replica computes: one without a part would not be waiting.
    const preload = stream && parts.length === this.replicas.length;
    this.stream = preload ? { keys: active, written: new Set(), next: 0 } : undefined;
    return Promise.all(
      parts.map(
        (batch, i) =>
          new Promise<number>((resolve, reject) => {
            const r = this.replicas[i]!;
            if (r.failure) return reject(r.failure);
            r.pending = { resolve, reject };
            const m: ToReplica = {
              type: "step",
              batch,
              active,
              targets,
              cachedLayers,
              dropoutSeed,
              updated,
              preload,
            };
            r.worker.postMessage(m);
          }),
      ),
    ).then((losses) => {
      // A replica that had no part this step still has to read the weights published now.
      if (parts.length < this.replicas.length) this.markUpdated(updated);
      return losses;
    });
  }

  /**
   * Replica i's gradient of `key` from the last compute(): a view of shared memory, valid until the next (tf.tensor
   * copies it into the backend at once).
   */
  gradientsOf(i: number, key: string): Float32Array {
    const s = this.slots.get(key)!;
    return this.replicas[i]!.grads.subarray(s.offset, s.offset + s.size);
  }

  async dispose(): Promise<void> {
    // Releases a replica waiting for streamed weights.
    Atomics.store(this.signal, CLOSING, 1);
    Atomics.notify(this.signal, STREAMED);
    await Promise.all(this.replicas.map((r) => r.worker.terminate()));
  }
}

function ready(r: Replica): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: FromReplica) => {
      cleanup();
      if (m.type === "ready") resolve();
      else if (m.type === "error")
        reject(Object.assign(new Error(m.message), m.stack ? { stack: m.stack } : {}));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onExit = (code: number) =>
      onError(new Error(`a data-parallel replica exited (code ${code}) while starting`));
    const cleanup = () => {
      r.worker.off("message", onMessage);
      r.worker.off("error", onError);
      r.worker.off("exit", onExit);
    };
    r.worker.on("message", onMessage);
    r.worker.on("error", onError);
    r.worker.on("exit", onExit);
  });
}
