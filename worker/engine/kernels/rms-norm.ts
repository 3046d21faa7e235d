// RMSNorm over the last axis as one kernel forward and one backward where the wasm backend has the compiled
// binding (blas/rms-norm.c); elsewhere composed of tfjs ops. Composed, it is six element-wise kernels forward
// and about ten backward, for every norm of every layer (two per layer, the final one, Qwen3's q/k-norms).
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import type { WasmBackend as Backend } from "./backend-memory.ts";
import type { Blas } from "./blas.ts";

export const RMS_NORM = "GradesRmsNorm";
export const RMS_NORM_GRAD = "GradesRmsNormGrad";

/** The wasm kernels: (y, r) from x, weight; (dx, dw) from dy, x, weight, r; r = rsqrt(mean(x²) + eps) per row. */
export function rmsNormConfigs(blas: Blas): KernelConfig[] {
  const view = (b: Backend, t: TensorInfo) => b.typedArrayFromHeap(t) as Float32Array;
  const forward: KernelFunc = ({ inputs, attrs, backend }) => {
    const { x, weight } = inputs as Record<"x" | "weight", TensorInfo>;
    const b = backend as unknown as Backend;
    const outs = [b.makeOutput(x.shape, "float32"), b.makeOutput(x.shape.slice(0, -1), "float32")];
    // Views taken after the allocations: a heap that grew has a new buffer.
    const eps = (attrs as { eps: number }).eps;
    blas.rmsNormForward(view(b, x), view(b, weight), eps, view(b, outs[0]!), view(b, outs[1]!));
    return outs;
  };
  const backward: KernelFunc = ({ inputs, backend }) => {
    const { dy, x, weight, r } = inputs as Record<"dy" | "x" | "weight" | "r", TensorInfo>;
    const b = backend as unknown as Backend;
    const outs = [b.makeOutput(x.shape, "float32"), b.makeOutput(weight.shape, "float32")];
    const [dx, dw] = outs.map((t) => view(b, t));
    blas.rmsNormBackward(view(b, dy), view(b, x), view(b, weight), view(b, r), dx!, dw!);
    return outs;
  };
  return [
    { kernelName: RMS_NORM, backendName: "wasm", kernelFunc: forward },
    { kernelName: RMS_NORM_GRAD, backendName: "wasm", kernelFunc: backward },
  ];
}

function fused(eps: number) {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, weight] = args as tf.Tensor[];
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [value, r] = tf.engine().runKernel(RMS_NORM, { x: x!, weight: weight! }, { eps }) as tf.Tensor[];
    // Saved tensors outlive this call until the backward pass has run (tfjs disposes them afterwards).
    save([x!, weight!, r!]);
    r!.dispose();
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws, rs] = saved;
      return tf.engine().runKernel(RMS_NORM_GRAD, { dy, x: xs!, weight: ws!, r: rs! }) as tf.Tensor[];
    };
    return { value: value!, gradFunc };
  });
}

/** RMSNorm as transformers computes it: x * rsqrt(mean(x^2, last axis) + eps) * weight (all float32 here). */
export function rmsNorm<T extends tf.Tensor>(x: T, weight: tf.Tensor1D, eps: number): T {
  const kernel = x.dtype === "float32" && tf.getKernel(RMS_NORM, tf.getBackend()) !== undefined;
  if (kernel) return fused(eps)(x, weight) as T;
  return tf.tidy(() => {
    const variance = tf.mean(tf.square(x), -1, true);
    return tf.mul(tf.mul(x, tf.rsqrt(tf.add(variance, eps))), weight);
  });
}
