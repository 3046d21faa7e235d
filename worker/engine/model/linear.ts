import * as tf from "@tensorflow/tfjs-core";
import type { LoraLinear } from "./lora.ts";

/** Per-call settings a projection needs (LoRA dropout). */
export interface CallContext {
  training: boolean;
  dropoutSeed: number;
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
      let y: tf.Tensor2D = tf.matMul(x, this.weight as tf.Tensor2D, false, true);
      if (this.bias) y = tf.add(y, this.bias);
      if (this.lora) y = tf.add(y, this.lora.delta(x, ctx));
      return y;
    });
  }
}
