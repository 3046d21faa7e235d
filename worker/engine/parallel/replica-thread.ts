// One data-parallel replica: its own single-threaded wasm backend and its own copy of the model, trained as the
// trainer's is (train/trainable.ts). At every step it takes the trainer's fresh weights from shared memory,
// computes the gradient of its rows of the batch (train/micro-batch.ts, the function the trainer runs on its
// own rows) and writes it to its gradient buffer; the trainer sums the replicas' gradients and steps. After a
// step's last micro-batch it reads the new weights as the trainer's optimizer streams them (replicas.ts).
import { parentPort, workerData } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../backend.ts";
import { loadModel } from "../model/loader.ts";
import { ActivationCache } from "../train/activation-cache.ts";
import { microBatchGradients } from "../train/micro-batch.ts";
import { makeTrainable, trainableVariables } from "../train/trainable.ts";
import {
  CLOSING,
  type FromReplica,
  type ReplicaInput,
  STREAMED,
  type ToReplica,
} from "./replica-messages.ts";
import { floatsOf, overwriteVariable } from "./tensor-floats.ts";

const port = parentPort!;
const input = workerData as ReplicaInput;
const send = (m: FromReplica) => port.postMessage(m);

async function start() {
  await initBackend("wasm", { threads: input.threads, matMul: input.matMul });
  const model = await loadModel(input.modelDir);
  const variables = new Map(
    trainableVariables(makeTrainable(model, input.spec)).map((v) => [v.key, v.variable]),
  );
  for (const slot of input.layout) {
    const v = variables.get(slot.key);
    if (!v || v.shape.join(",") !== slot.shape.join(","))
      throw new Error(`replica: the model has no trainable ${slot.key} of shape [${slot.shape}]`);
  }
  if (variables.size !== input.layout.length) throw new Error("replica: the model trains other variables");
  const slots = new Map(input.layout.map((s) => [s.key, s]));
  const weights = new Float32Array(input.weights);
  const grads = new Float32Array(input.grads);
  const signal = new Int32Array(input.signal);
  const cache =
    input.activationCacheBytes > 0
      ? new ActivationCache(input.activationCacheBytes, model.config.hidden_size)
      : undefined;

  /** Reads a key's weights out of shared memory. */
  const load = (key: string) => {
    const s = slots.get(key)!;
    const v = variables.get(key)!;
    const fresh = weights.subarray(s.offset, s.offset + s.size);
    // Either way the values are copied out of shared memory at once: the trainer rewrites it after its next step.
    if (!overwriteVariable(v, fresh)) tf.tidy(() => v.assign(tf.tensor(fresh, s.shape)));
  };
  /** Weights streamed so far, as signal[STREAMED] counts them. */
  let consumed = 0;

  /**
   * Reads each of `keys` as the trainer's optimizer writes it (ReplicaPool.updated, replicas.ts): blocks this
   * thread, which has nothing else to do until the next step, whose message waits in the queue meanwhile.
   */
  const preload = (keys: string[]) => {
    for (const [i, key] of keys.entries()) {
      for (;;) {
        const seen = Atomics.load(signal, STREAMED);
        if (seen > consumed + i) break;
        if (Atomics.load(signal, CLOSING) !== 0) return;
        // Timed, so a thread being terminated is never stuck here.
        Atomics.wait(signal, STREAMED, seen, 250);
      }
      load(key);
    }
    consumed += keys.length;
  };

  const step = async (m: ToReplica): Promise<number> => {
    for (const key of m.updated) load(key);
    const vars = m.active.map((key) => variables.get(key)!);
    const r = await microBatchGradients(model, cache, m.batch, vars, m.targets, m.cachedLayers, {
      training: true,
      dropoutSeed: m.dropoutSeed,
    });
    for (const [i, g] of r.grads.entries()) {
      grads.set(floatsOf(g), slots.get(m.active[i]!)!.offset);
    }
    const loss = r.value.dataSync()[0]!;
    tf.dispose([r.value, ...r.grads]);
    return loss;
  };
  return { step, preload };
}

const fail = (err: unknown) =>
  send({
    type: "error",
    message: err instanceof Error ? err.message : String(err),
    ...(err instanceof Error && err.stack ? { stack: err.stack } : {}),
  });

try {
  const { step, preload } = await start();
  // Steps arrive one at a time: the trainer waits for every replica before it sends the next.
  port.on("message", (m: ToReplica) => {
    step(m).then((loss) => {
      send({ type: "done", loss });
      if (m.preload) preload(m.active);
    }, fail);
  });
  send({ type: "ready" });
} catch (err) {
  fail(err);
}
