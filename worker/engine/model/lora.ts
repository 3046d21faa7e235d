// LoRA as PEFT implements it: a wrapped linear computes base(x) + dropout(x) A^T B^T * scaling with
// A [r, in] drawn kaiming-uniform(a = sqrt(5)) (i.e. U(-1/sqrt(in), 1/sqrt(in))), B [out, r] = 0, and
// scaling = alpha / r (alpha / sqrt(r) with rsLoRA). B = 0 makes the wrapped model start exactly at the base.
import * as tf from "@tensorflow/tfjs-core";
import type { CallContext, Linear } from "./linear.ts";
import { deriveSeed, fillUniform } from "./random.ts";
import type { LoraOptions } from "./types.ts";
import { ownedVariable } from "./variables.ts";

export function loraScaling(opts: Pick<LoraOptions, "r" | "alpha" | "useRslora">): number {
  return opts.useRslora ? opts.alpha / Math.sqrt(opts.r) : opts.alpha / opts.r;
}

export class LoraLinear {
  constructor(
    readonly name: string,
    /** [r, in] */
    readonly A: tf.Variable,
    /** [out, r] */
    readonly B: tf.Variable,
    readonly scaling: number,
    readonly dropout: number,
  ) {}

  /** x [N, in] → the low-rank update [N, out]. */
  delta(x: tf.Tensor2D, ctx: CallContext): tf.Tensor2D {
    return tf.tidy(() => {
      const dropped =
        ctx.training && this.dropout > 0
          ? (tf.dropout(x, this.dropout, undefined, deriveSeed(ctx.dropoutSeed, this.name)) as tf.Tensor2D)
          : x;
      // Scaled at rank r rather than at the output: the same product (exactly so for a power-of-two scaling,
      // as alpha / r usually is), at r / out of the multiplications, forward and backward.
      const down = tf.mul(tf.matMul(dropped, this.A as tf.Tensor2D, false, true), this.scaling); // [N, r]
      return tf.matMul(down, this.B as tf.Tensor2D, false, true); // [N, out]
    });
  }

  dispose(): void {
    this.A.dispose();
    this.B.dispose();
  }
}

/** Wraps `base` with a fresh adapter (B = 0, A seeded per module name) and returns it. */
export function attachLora(base: Linear, opts: LoraOptions): LoraLinear {
  if (base.lora) throw new Error(`${base.name} already has a LoRA adapter`);
  const inF = base.inFeatures;
  const bound = 1 / Math.sqrt(inF);
  const aValues = fillUniform(
    new Float32Array(opts.r * inF),
    -bound,
    bound,
    deriveSeed(opts.seed, `${base.name}.lora_A`),
  );
  const A = ownedVariable(tf.tensor2d(aValues, [opts.r, inF]), true);
  const B = ownedVariable(tf.zeros([base.outFeatures, opts.r]), true);
  const lora = new LoraLinear(base.name, A, B, loraScaling(opts), opts.dropout);
  base.lora = lora;
  return lora;
}
