// SwiGLU's element-wise part, silu(gate) * up, as one kernel forward and one backward where the wasm backend has
// the compiled binding (blas/swiglu.c); elsewhere the same function composed of tfjs ops. Composed, the forward
// pass is a sigmoid and two products and the backward about eight more passes over [tokens, intermediate]: on
// the bench model 5-6 % of a step, the largest element-wise share after the matmuls. The kernel computes the
// sigmoid too (blas/exp.h's exponential) and keeps it for the backward pass.
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import type { WasmBackend as Backend } from "./backend-memory.ts";
import type { Blas } from "./blas.ts";

export const SWIGLU = "GradesSwiGLU";
export const SWIGLU_GRAD = "GradesSwiGLUGrad";

/**
 * The two wasm kernels: (out, sig) from gate and up, out = gate · sig · up with sig = sigmoid(gate); and
 * (dgate, dup) from dy, gate, sig, up.
 */
export function swigluConfigs(blas: Blas): KernelConfig[] {
  const view = (b: Backend, t: TensorInfo) => b.typedArrayFromHeap(t) as Float32Array;
  const forward: KernelFunc = ({ inputs, backend }) => {
    const { gate, up } = inputs as Record<"gate" | "up", TensorInfo>;
    const b = backend as unknown as Backend;
    const outs = [b.makeOutput(gate.shape, "float32"), b.makeOutput(gate.shape, "float32")];
    // Views taken after the allocations: a heap that grew has a new buffer.
    blas.swigluForward(view(b, gate), view(b, up), view(b, outs[1]!), view(b, outs[0]!));
    return outs;
  };
  const backward: KernelFunc = ({ inputs, backend }) => {
    const { dy, gate, sig, up } = inputs as Record<"dy" | "gate" | "sig" | "up", TensorInfo>;
    const b = backend as unknown as Backend;
    const outs = [b.makeOutput(gate.shape, "float32"), b.makeOutput(gate.shape, "float32")];
    blas.swigluBackward(
      view(b, dy),
      view(b, gate),
      view(b, sig),
      view(b, up),
      view(b, outs[0]!),
      view(b, outs[1]!),
    );
    return outs;
  };
  return [
    { kernelName: SWIGLU, backendName: "wasm", kernelFunc: forward },
    { kernelName: SWIGLU_GRAD, backendName: "wasm", kernelFunc: backward },
  ];
}

const fused = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [gate, up] = args as tf.Tensor[];
  const save = args[args.length - 1] as tf.GradSaveFunc;
  const [value, sig] = tf.engine().runKernel(SWIGLU, { gate: gate!, up: up! }) as tf.Tensor[];
  // Saved tensors outlive this call until the backward pass has run (tfjs disposes them afterwards).
  save([gate!, sig!, up!]);
  sig!.dispose();
  const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
    const [g, s, u] = saved;
    return tf.engine().runKernel(SWIGLU_GRAD, { dy, gate: g!, sig: s!, up: u! }) as tf.Tensor[];
  };
  return { value: value!, gradFunc };
});

/** silu(gate) * up, gate and up of one shape. */
export function swiglu<T extends tf.Tensor>(gate: T, up: T): T {
  const kernel = gate.dtype === "float32" && tf.getKernel(SWIGLU, tf.getBackend()) !== undefined;
  if (kernel) return fused(gate, up) as T;
  return tf.tidy(() => tf.mul(tf.mul(gate, tf.sigmoid(gate)), up));
}
