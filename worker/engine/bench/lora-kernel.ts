// What LoRA's projection as one kernel (kernels/lora-linear.ts) saves per step: one trainer on the bench model,
// its steps alternating between the kernel and the composed ops (the kernel unregistered for that step), so
// both forms see the same load, the same weights and batches of the same shape.
import * as tf from "@tensorflow/tfjs-core";
import { LORA_LINEAR } from "../kernels/lora-linear.ts";
import { loadModel } from "../model/loader.ts";
import { Trainer } from "../train/trainer.ts";
import { benchSpec, median, randomData } from "./bench-model.ts";

export interface LoraKernelSaving {
  kernelMs: number;
  composedMs: number;
}

/** Undefined where the backend has no such kernel (no binding, or not wasm). */
export async function loraKernelSaving(
  dir: string,
  backend: string,
  opts: { warmup: number; steps: number },
): Promise<LoraKernelSaving | undefined> {
  const kernel = tf.getKernel(LORA_LINEAR, tf.getBackend());
  if (!kernel) return undefined;
  const model = await loadModel(dir);
  const trainer = new Trainer({
    spec: benchSpec(dir, false),
    model,
    train: randomData(64),
    padId: 0,
    backend,
  });
  const times = { kernel: [] as number[], composed: [] as number[] };
  try {
    for (let i = 0; i < 2 * (opts.warmup + opts.steps); i++) {
      const composed = i % 2 === 1;
      if (composed) tf.unregisterKernel(LORA_LINEAR, kernel.backendName);
      try {
        const { seconds } = await trainer.trainStep();
        if (i >= 2 * opts.warmup) times[composed ? "composed" : "kernel"].push(seconds * 1000);
      } finally {
        if (composed) tf.registerKernel(kernel);
      }
    }
  } finally {
    trainer.dispose();
    model.dispose();
  }
  return { kernelMs: median(times.kernel), composedMs: median(times.composed) };
}
