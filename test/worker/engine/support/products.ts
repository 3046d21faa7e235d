// Matrix products a profiled step ran, whichever form ran them: a BatchMatMul kernel is one; a LoRA projection
// as one kernel (kernels/lora-linear.ts) is the three products of its composed form forward (x W^T, x A^T,
// down B^T) and backward three (dy W, dy B, g A) plus one for each of A's and B's gradients it returns;
// attention's core as one kernel (kernels/attention.ts) is its two batched products forward and four backward.
import type * as tf from "@tensorflow/tfjs-core";
import { ATTENTION, ATTENTION_GRAD } from "../../../../worker/engine/kernels/attention.ts";
import { LORA_LINEAR, LORA_LINEAR_GRAD } from "../../../../worker/engine/kernels/lora-linear.ts";

type Kernel = Awaited<ReturnType<typeof tf.profile>>["kernels"][number];

export function productsRun(kernels: Kernel[]): number {
  let n = 0;
  for (const k of kernels) {
    if (k.name === "BatchMatMul") n += 1;
    else if (k.name === LORA_LINEAR) n += 3;
    else if (k.name === LORA_LINEAR_GRAD) n += 3 + (k.outputShapes.length - 1);
    else if (k.name === ATTENTION) n += 2;
    else if (k.name === ATTENTION_GRAD) n += 4;
  }
  return n;
}
