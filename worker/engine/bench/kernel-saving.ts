// What one of the engine's compiled kernels saves per step (kernels/lora-linear.ts, kernels/attention.ts,
// kernels/cross-entropy.ts): one trainer on the bench model, its steps alternating between the kernels and the
// composed ops (the kernels unregistered for that step), so both forms see the same load, the same weights and
// batches of the same shape.
import * as tf from "@tensorflow/tfjs-core";
import { loadModel } from "../model/loader.ts";
import { Trainer } from "../train/trainer.ts";
import { benchSpec, median, randomData } from "./bench-model.ts";

export interface KernelSaving {
  kernelMs: number;
  composedMs: number;
}

/** Undefined where the backend lacks one of the kernels (no binding, or not wasm). */
export async function kernelSaving(
  dir: string,
  backend: string,
  kernelNames: string[],
  opts: { warmup: number; steps: number; trainingType: "lora" | "full" },
): Promise<KernelSaving | undefined> {
  const kernels = kernelNames.map((name) => tf.getKernel(name, tf.getBackend()));
  if (kernels.some((k) => !k)) return undefined;
  const model = await loadModel(dir);
  const trainer = new Trainer({
    spec: benchSpec(dir, false, opts.trainingType),
    model,
    train: randomData(64),
    padId: 0,
    backend,
  });
  const times = { kernel: [] as number[], composed: [] as number[] };
  try {
    for (let i = 0; i < 2 * (opts.warmup + opts.steps); i++) {
      const composed = i % 2 === 1;
      if (composed) for (const k of kernels) tf.unregisterKernel(k!.kernelName, k!.backendName);
      try {
        const { seconds } = await trainer.trainStep();
        if (i >= 2 * opts.warmup) times[composed ? "composed" : "kernel"].push(seconds * 1000);
      } finally {
        if (composed) for (const k of kernels) tf.registerKernel(k!);
      }
    }
  } finally {
    trainer.dispose();
    model.dispose();
  }
  return { kernelMs: median(times.kernel), composedMs: median(times.composed) };
}
