// A tensor plus arrays outside the backend (a data-parallel replica's gradient in shared memory,
// parallel/replicas.ts) as one kernel: out = x + a0 + a1 + …, added in that order in float32, as the chain of
// tfjs Adds it replaces rounds. That chain first copied each array into the backend (tf.tensor), so a replica's
// gradient cost an allocation, a copy and an add per variable; on wasm this kernel reads the arrays where they
// are, one pass each (compiled given the binding, blas/add-floats.c, else a JS loop).
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import type { WasmBackend } from "./backend-memory.ts";
import type { Blas } from "./blas.ts";

export const ADD_SHARED = "GradesAddShared";

interface AddSharedAttrs {
  addends: Float32Array[];
}

function jsAdd(x: Float32Array, a: Float32Array, out: Float32Array): void {
  for (let i = 0; i < x.length; i++) out[i] = x[i]! + a[i]!;
}

/** The wasm kernel: x read on the heap, the addends where they are. */
export function addSharedConfig(blas?: Blas): KernelConfig {
  const add = blas ? blas.addFloats.bind(blas) : jsAdd;
  const kernelFunc: KernelFunc = ({ inputs, attrs, backend }) => {
    const { x } = inputs as { x: TensorInfo };
    const { addends } = attrs as unknown as AddSharedAttrs;
    const b = backend as unknown as WasmBackend;
    const out = b.makeOutput(x.shape, "float32");
    // Views taken after the allocation: a heap that grew has a new buffer.
    const xs = b.typedArrayFromHeap(x) as Float32Array;
    const outs = b.typedArrayFromHeap(out) as Float32Array;
    for (const [k, a] of addends.entries()) add(k === 0 ? xs : outs, a, outs);
    if (addends.length === 0) outs.set(xs);
    return out;
  };
  return { kernelName: ADD_SHARED, backendName: "wasm", kernelFunc };
}

/** x + each of `addends` (arrays of x's size), by the kernel where the backend has it, else by tfjs' ops. */
export function addShared(x: tf.Tensor, addends: Float32Array[]): tf.Tensor {
  for (const a of addends) {
    if (a.length !== x.size) throw new Error(`addShared: an array of ${a.length} floats added to ${x.size}`);
  }
  if (x.dtype === "float32" && tf.getKernel(ADD_SHARED, tf.getBackend())) {
    const attrs = { addends } as unknown as tf.NamedAttrMap;
    return tf.engine().runKernel(ADD_SHARED, { x }, attrs) as tf.Tensor;
  }
  return tf.tidy(() => addends.reduce<tf.Tensor>((sum, a) => tf.add(sum, tf.tensor(a, x.shape)), x));
}
