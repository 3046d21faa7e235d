import * as tf from "@tensorflow/tfjs-core";
import { hasLoraLinearKernel, loraLinear } from "../kernels/lora-linear.ts";
import type { LoraLinear } from "./lora.ts";

/**
 * Whether a LoRA-wrapped projection runs as one kernel when the backend has it: not while training with LoRA
 * dropout, which draws a mask for the adapter's input alone (the kernel has no mask). The memory estimate
 * follows the same rule.
 */
export function loraRunsFused(dropout: number, training: boolean, kernel: boolean): boolean {
  return kernel && !(training && dropout > 0);
}

/** Per-call settings a projection needs (LoRA dropout, which adapters are differentiated). */
export interface CallContext {
  training: boolean;
  dropoutSeed: number;
  /** The variables the caller takes the gradient for (ForwardOptions.trained); undefined: all of them. */
  trained?: ReadonlySet<tf.Variable>;
}

/**
 * A projection with Hugging Face's weight layout: weight [out, in], optional bias [out]; y = x W^T + b.
 * A LoRA adapter, when attached, adds its low-rank update to the output.
 */
export class Linear {
  lora: LoraLinear | undefined;

  constructor(
    /** HF module path, e.g. "model.layers.0.self_attn.q_proj". */
    readonly name: string,
    readonly weight: tf.Variable,
    readonly bias?: tf.Variable,
  ) {}

  get inFeatures(): number {
    return this.weight.shape[1]!;
  }

  get outFeatures(): number {
    return this.weight.shape[0]!;
  }

  /** x [N, in] → [N, out]. */
  apply(x: tf.Tensor2D, ctx: CallContext): tf.Tensor2D {
    return tf.tidy(() => {
      const lora = this.lora;
      // LoRA's frozen base and its adapter in one kernel where the backend has it.
      const fused =
        lora !== undefined &&
        !this.weight.trainable &&
        loraRunsFused(lora.dropout, ctx.training, hasLoraLinearKernel());
      if (fused) {
        const adapter = ctx.trained === undefined || ctx.trained.has(lora.A);
        const w = this.weight as tf.Tensor2D;
        const y = loraLinear(x, w, lora.A as tf.Tensor2D, lora.B as tf.Tensor2D, lora.scaling, adapter);
        return this.bias ? tf.add(y, this.bias) : y;
      }
      let y: tf.Tensor2D = tf.matMul(x, this.weight as tf.Tensor2D, false, true);
      if (this.bias) y = tf.add(y, this.bias);
      if (this.lora) y = tf.add(y, this.lora.delta(x, ctx));
      return y;
    });
  }
}
