import * as tf from "@tensorflow/tfjs-core";
import { swiglu } from "../kernels/swiglu.ts";
import type { CallContext, Linear } from "./linear.ts";

export interface MlpWeights {
  gate_proj: Linear;
  up_proj: Linear;
  down_proj: Linear;
}

/** SwiGLU: down(silu(gate(x)) * up(x)); x [N, H] → [N, H]. */
export function mlp(x: tf.Tensor2D, w: MlpWeights, ctx: CallContext): tf.Tensor2D {
  return tf.tidy(() => {
    const gate = w.gate_proj.apply(x, ctx);
    return w.down_proj.apply(swiglu(gate, w.up_proj.apply(x, ctx)), ctx);
  });
}
