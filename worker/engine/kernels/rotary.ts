// Rotary embeddings fused with attention's transpose to heads-first, one kernel forward and one backward, where
// the wasm backend has the compiled binding (blas/rotary.c). model/rotary.ts uses it when registered and the
// composed ops (transpose, rotate_half as a matmul, products, sum) otherwise.
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import type { WasmBackend as Backend } from "./backend-memory.ts";
import type { Blas } from "./blas.ts";

export const ROTARY = "GradesRotary";
export const ROTARY_GRAD = "GradesRotaryGrad";

/** The wasm kernels: [B, T, H, D] → rotated [B, H, T, D], and its gradient back; cos, sin [T, D]. */
export function rotaryConfigs(blas: Blas): KernelConfig[] {
  // `forward`: x is [B, T, H, D] and the output [B, H, T, D]; backward the other way round.
  const kernel =
    (forward: boolean): KernelFunc =>
    ({ inputs, backend }) => {
      const { x, cos, sin } = inputs as Record<"x" | "cos" | "sin", TensorInfo>;
      const b = backend as unknown as Backend;
      const [d0, d1, d2, d3] = x.shape as [number, number, number, number];
      const out = b.makeOutput([d0, d2, d1, d3], "float32");
      const [B, T, H] = forward ? [d0, d1, d2] : [d0, d2, d1];
      // Views taken after the allocation: a heap that grew has a new buffer.
      const view = (t: TensorInfo) => b.typedArrayFromHeap(t) as Float32Array;
      const run = forward ? blas.rotaryForward : blas.rotaryBackward;
      run(B, T, H, d3, view(x), view(cos), view(sin), view(out));
      return out;
    };
  return [
    { kernelName: ROTARY, backendName: "wasm", kernelFunc: kernel(true) },
    { kernelName: ROTARY_GRAD, backendName: "wasm", kernelFunc: kernel(false) },
  ];
}

/** Whether the active backend has the fused kernel for x. */
export function fusedRotaryTakes(x: tf.Tensor): boolean {
  return x.dtype === "float32" && x.rank === 4 && tf.getKernel(ROTARY, tf.getBackend()) !== undefined;
}

/** x [B, T, H, D] → rotated [B, H, T, D] by the fused kernels (fusedRotaryTakes(x) must hold). */
export function fusedRotaryHeadsFirst(x: tf.Tensor4D, cos: tf.Tensor2D, sin: tf.Tensor2D): tf.Tensor4D {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const value = tf.engine().runKernel(ROTARY, { x: args[0] as tf.Tensor, cos, sin }) as tf.Tensor4D;
    // The map is linear in x: its gradient needs only the tables. Saved, since the forward pass may dispose them
    // before the backward pass runs (tfjs disposes saved tensors afterwards).
    save([cos, sin]);
    const gradFunc = (dy: tf.Tensor, [c, s]: tf.Tensor[]) =>
      tf.engine().runKernel(ROTARY_GRAD, { x: dy, cos: c!, sin: s! }) as tf.Tensor;
    return { value, gradFunc };
  });
  return f(x) as tf.Tensor4D;
}
