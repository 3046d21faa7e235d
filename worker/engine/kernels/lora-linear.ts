// A LoRA-wrapped projection as one kernel forward and one backward where the wasm backend has the compiled
// binding: y = x W^T + down B^T with down = s x A^T, the adapter's product accumulated into the base product's
// output by sgemm itself (beta 1) rather than added by a kernel of its own, and likewise x's gradient,
// dy W + s (dy B) A. Composed of tfjs ops a wrapped projection is five kernels forward (three products, the
// scaling, the add) and about eight backward, plus the tape's add of x's two gradients and the copies it saves:
// on the bench model a LoRA step ran 1,451 kernels composed and runs 903 with this one, and two passes over
// every projection's output are gone.
// The base weight W is never differentiated here (LoRA freezes it). A and B are differentiated when the caller
// trains them (`trainAdapter`); a frozen pair passes gradients to x only.
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import type { WasmBackend as Backend } from "./backend-memory.ts";
import type { Blas } from "./blas.ts";

export const LORA_LINEAR = "GradesLoraLinear";
export const LORA_LINEAR_GRAD = "GradesLoraLinearGrad";

interface Attrs {
  scaling: number;
}

interface GradAttrs extends Attrs {
  /** Whether A's and B's gradients are wanted (else dx alone). */
  adapter: boolean;
}

/** The two wasm kernels: (y, down) from x, w, a, b; (dx[, da, db]) from dy, x, w, a, b, down. */
export function loraLinearConfigs(blas: Blas): KernelConfig[] {
  const view = (b: Backend, t: TensorInfo) => b.typedArrayFromHeap(t) as Float32Array;
  const forward: KernelFunc = ({ inputs, attrs, backend }) => {
    const { x, w, a, b } = inputs as Record<"x" | "w" | "a" | "b", TensorInfo>;
    const { scaling } = attrs as unknown as Attrs;
    const be = backend as unknown as Backend;
    const [n, inF] = x.shape as [number, number];
    const [outF, r] = b.shape as [number, number];
    const y = be.makeOutput([n, outF], "float32");
    const down = be.makeOutput([n, r], "float32");
    // Views taken after the allocations: a heap that grew has a new buffer.
    const [vx, vw, va, vb, vy, vd] = [x, w, a, b, y, down].map((t) => view(be, t)) as Float32Array[];
    blas.sgemm(false, true, n, r, inF, vx!, 0, va!, 0, vd!, 0, scaling, 0); // down = s x A^T   [N, r]
    blas.sgemm(false, true, n, outF, inF, vx!, 0, vw!, 0, vy!, 0); // y = x W^T                 [N, out]
    blas.sgemm(false, true, n, outF, r, vd!, 0, vb!, 0, vy!, 0, 1, 1); // y += down B^T
    return [y, down];
  };
  const backward: KernelFunc = ({ inputs, attrs, backend }) => {
    const { dy, x, w, a, b, down } = inputs as Record<"dy" | "x" | "w" | "a" | "b" | "down", TensorInfo>;
    const { scaling, adapter } = attrs as unknown as GradAttrs;
    const be = backend as unknown as Backend;
    const [n, inF] = x.shape as [number, number];
    const [outF, r] = b.shape as [number, number];
    const dx = be.makeOutput([n, inF], "float32");
    const g = be.makeOutput([n, r], "float32"); // dy B: the gradient of down, a scratch buffer
    const grads = adapter ? [be.makeOutput([r, inF], "float32"), be.makeOutput([outF, r], "float32")] : [];
    const [vdy, vx, vw, va, vb, vdown, vdx, vg] = [dy, x, w, a, b, down, dx, g].map((t) =>
      view(be, t),
    ) as Float32Array[];
    blas.sgemm(false, false, n, r, outF, vdy!, 0, vb!, 0, vg!, 0); // g = dy B              [N, r]
    blas.sgemm(false, false, n, inF, outF, vdy!, 0, vw!, 0, vdx!, 0); // dx = dy W          [N, in]
    blas.sgemm(false, false, n, inF, r, vg!, 0, va!, 0, vdx!, 0, scaling, 1); // dx += s g A
    if (adapter) {
      const [da, db] = grads.map((t) => view(be, t)) as Float32Array[];
      blas.sgemm(true, false, r, inF, n, vg!, 0, vx!, 0, da!, 0, scaling, 0); // dA = s g^T x  [r, in]
      blas.sgemm(true, false, outF, r, n, vdy!, 0, vdown!, 0, db!, 0); // dB = dy^T down     [out, r]
    }
    be.disposeData(g.dataId);
    return [dx, ...grads];
  };
  return [
    { kernelName: LORA_LINEAR, backendName: "wasm", kernelFunc: forward },
    { kernelName: LORA_LINEAR_GRAD, backendName: "wasm", kernelFunc: backward },
  ];
}

/** Whether the active backend runs a LoRA-wrapped projection as one kernel (wasm with the binding). */
export function hasLoraLinearKernel(): boolean {
  return tf.getKernel(LORA_LINEAR, tf.getBackend()) !== undefined;
}

/**
 * x [N, in] W^T + s (x A^T) B^T, W [out, in] frozen, A [r, in], B [out, r]; by the kernels above (the caller checks
 * hasLoraLinearKernel). With `trainAdapter` the gradient reaches x, A and B, else x alone.
 */
export function loraLinear(
  x: tf.Tensor2D,
  w: tf.Tensor2D,
  a: tf.Tensor2D,
  b: tf.Tensor2D,
  scaling: number,
  trainAdapter: boolean,
): tf.Tensor2D {
  const run = (input: tf.Tensor2D, A: tf.Tensor2D, B: tf.Tensor2D, save: tf.GradSaveFunc) => {
    const [y, down] = tf
      .engine()
      .runKernel(LORA_LINEAR, { x: input, w, a: A, b: B }, { scaling } as unknown as tf.NamedAttrMap) as [
      tf.Tensor2D,
      tf.Tensor2D,
    ];
    // Saved tensors outlive this call until the backward pass has run (tfjs disposes them afterwards).
    save([input, down]);
    down.dispose();
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) =>
      tf.engine().runKernel(LORA_LINEAR_GRAD, { dy, x: saved[0]!, w, a: A, b: B, down: saved[1]! }, {
        scaling,
        adapter: trainAdapter,
      } as unknown as tf.NamedAttrMap) as tf.Tensor[];
    return { value: y, gradFunc };
  };
  // The inputs of the recorded op are what the gradient reaches: W (and a frozen pair) are closed over.
  if (trainAdapter) {
    const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [input, A, B] = args as tf.Tensor2D[];
      return run(input!, A!, B!, args[3] as tf.GradSaveFunc);
    });
    return op(x, a, b) as tf.Tensor2D;
  }
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const { value, gradFunc } = run(args[0] as tf.Tensor2D, a, b, args[1] as tf.GradSaveFunc);
    return { value, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => gradFunc(dy, saved)[0]! };
  });
  return op(x) as tf.Tensor2D;
}
