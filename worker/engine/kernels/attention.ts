// Attention's core, softmax(q k^T + mask) v, as one kernel forward and one backward where the wasm backend has
// the compiled binding (blas/attention.c); model/attention.ts composes tfjs ops elsewhere. Composed, a layer's
// core is two batched matmuls, the mask's add, the softmax and their reshapes forward, and backward four matmuls,
// the softmax's gradient (four element-wise kernels) and more reshapes: each element-wise step a pass over the
// B·H·T·S scores and each kernel a dispatch. Here the same sgemm calls run in one loop with the softmax, and its
// gradient, in between, on the heap.
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import type { WasmBackend as Backend } from "./backend-memory.ts";
import type { AttentionDims, Blas } from "./blas.ts";

export const ATTENTION = "GradesAttention";
export const ATTENTION_GRAD = "GradesAttentionGrad";

interface AttentionAttrs {
  /** Batch items; q's first axis is batch · kv heads. */
  batch: number;
  /** Positions per query head: q's second axis is (query heads per kv head) · length. */
  length: number;
}

/** batch, kvHeads, M, T, S, D from q [BK, M, D] and k [BK, S, D]. */
function dimsOf(q: TensorInfo, k: TensorInfo, a: AttentionAttrs): AttentionDims {
  const [bk, m, d] = q.shape as [number, number, number];
  return [a.batch, bk / a.batch, m, a.length, k.shape[1]!, d];
}

/** The wasm kernels: (out, probs) from q, k, v, mask; (dq, dk, dv) from dOut, q, k, v, probs. */
export function attentionConfigs(blas: Blas): KernelConfig[] {
  const view = (b: Backend, t: TensorInfo) => b.typedArrayFromHeap(t) as Float32Array;
  const forward: KernelFunc = ({ inputs, attrs, backend }) => {
    const { q, k, v, mask } = inputs as Record<"q" | "k" | "v" | "mask", TensorInfo>;
    const b = backend as unknown as Backend;
    const d = dimsOf(q, k, attrs as unknown as AttentionAttrs);
    const [bk, m] = q.shape as [number, number];
    const outs = [b.makeOutput(q.shape, "float32"), b.makeOutput([bk, m, d[4]], "float32")];
    // Views taken after the allocations: a heap that grew has a new buffer.
    const [out, probs] = outs.map((t) => view(b, t)) as [Float32Array, Float32Array];
    blas.attentionForward(...d, view(b, q), view(b, k), view(b, v), view(b, mask), probs, out);
    return outs;
  };
  const backward: KernelFunc = ({ inputs, attrs, backend }) => {
    const { dy, q, k, v, probs } = inputs as Record<"dy" | "q" | "k" | "v" | "probs", TensorInfo>;
    const b = backend as unknown as Backend;
    const d = dimsOf(q, k, attrs as unknown as AttentionAttrs);
    const outs = [
      b.makeOutput(q.shape, "float32"),
      b.makeOutput(k.shape, "float32"),
      b.makeOutput(v.shape, "float32"),
    ];
    const [dq, dk, dv] = outs.map((t) => view(b, t)) as [Float32Array, Float32Array, Float32Array];
    blas.attentionBackward(...d, view(b, dy), view(b, q), view(b, k), view(b, v), view(b, probs), dq, dk, dv);
    return outs;
  };
  return [
    { kernelName: ATTENTION, backendName: "wasm", kernelFunc: forward },
    { kernelName: ATTENTION_GRAD, backendName: "wasm", kernelFunc: backward },
  ];
}

/** Whether the active backend runs attention's core as one kernel (wasm with the binding). */
export function hasAttentionKernel(): boolean {
  return tf.getKernel(ATTENTION, tf.getBackend()) !== undefined;
}

/**
 * softmax(q k^T + mask) v per batch item and kv head, by the kernels above (the caller checks
 * hasAttentionKernel): q [B·nKV, g·T, D] (already scaled), k and v [B·nKV, S, D], mask [B, T, S] additive.
 * The gradient reaches q, k and v; the mask is a constant.
 */
export function attentionCore(
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  mask: tf.Tensor,
  batch: number,
  length: number,
): tf.Tensor3D {
  const attrs = { batch, length } as unknown as tf.NamedAttrMap;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [qs, ks, vs] = args as tf.Tensor3D[];
    const save = args[3] as tf.GradSaveFunc;
    const [out, probs] = tf
      .engine()
      .runKernel(ATTENTION, { q: qs!, k: ks!, v: vs!, mask }, attrs) as tf.Tensor[];
    // Saved tensors outlive this call until the backward pass has run (tfjs disposes them afterwards).
    save([qs!, ks!, vs!, probs!]);
    probs!.dispose();
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sq, sk, sv, sp] = saved;
      return tf
        .engine()
        .runKernel(ATTENTION_GRAD, { dy, q: sq!, k: sk!, v: sv!, probs: sp! }, attrs) as tf.Tensor[];
    };
    return { value: out!, gradFunc };
  });
  return op(q, k, v) as tf.Tensor3D;
}
