// A tensor plus arrays outside the backend (a data-parallel replica's gradient in shared memory,
// parallel/replicas.ts) as one kernel: out = x + a0 + a1 + …, added in that order in float32, as the chain of
// tfjs Adds it replaces rounds. That chain first copied each array into the backend (tf.tensor), so a replica's
// gradient cost an allocation, a copy and an add per variable; on wasm this kernel reads the arrays where they
// are, one pass each (compiled given the binding, blas/add-floats.c, else a JS loop). It writes the sum over x
// where x's buffer is x's alone (the trainer's own gradient, which it drops after), and adds the sum's squares
// into an accumulator when given one: the gradient's norm then needs no pass of its own (train/clip.ts).
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import type { WasmBackend } from "./backend-memory.ts";
import type { Blas } from "./blas.ts";
import { jsSumSquares, sumSquaresOf } from "./sum-squares.ts";

export const ADD_SHARED = "GradesAddShared";

interface AddSharedAttrs {
  addends: Float32Array[];
  /** squares[0] += the sum of the result's squares, in double. */
  squares?: Float64Array;
}

/** out = x + a; returns the sum of out's squares. */
function jsAdd(x: Float32Array, a: Float32Array, out: Float32Array): number {
  let squares = 0;
  for (let i = 0; i < x.length; i++) {
    const sum = Math.fround(x[i]! + a[i]!);
    out[i] = sum;
    squares += sum * sum;
  }
  return squares;
}

/** The wasm kernel: x read on the heap, the addends where they are. */
export function addSharedConfig(blas?: Blas): KernelConfig {
  const add = blas ? blas.addFloats.bind(blas) : jsAdd;
  const squaresOf = sumSquaresOf(blas);
  const kernelFunc: KernelFunc = ({ inputs, attrs, backend }) => {
    const { x } = inputs as { x: TensorInfo };
    const { addends, squares } = attrs as unknown as AddSharedAttrs;
    const b = backend as unknown as WasmBackend;
    // Over x when nothing else holds its buffer (then the output is one more reference to it).
    const inPlace = addends.length > 0 && b.refCount(x.dataId) === 1;
    if (inPlace) b.incRef(x.dataId);
    const out = inPlace
      ? { dataId: x.dataId, shape: x.shape, dtype: x.dtype }
      : b.makeOutput(x.shape, "float32");
    // Views taken after the allocation: a heap that grew has a new buffer.
    const xs = b.typedArrayFromHeap(x) as Float32Array;
    const outs = b.typedArrayFromHeap(out) as Float32Array;
    let sumSquares = 0;
    for (const [k, a] of addends.entries()) sumSquares = add(k === 0 ? xs : outs, a, outs);
    if (addends.length === 0) {
      outs.set(xs);
      sumSquares = squaresOf(outs);
    }
    if (squares) squares[0]! += sumSquares;
    return out;
  };
  return { kernelName: ADD_SHARED, backendName: "wasm", kernelFunc };
}

/**
 * x + each of `addends` (arrays of x's size), by the kernel where the backend has it, else by tfjs' ops; with
 * `squares`, squares[0] grows by the sum of the result's squares. x may be overwritten: the caller drops it.
 */
export function addShared(x: tf.Tensor, addends: Float32Array[], squares?: Float64Array): tf.Tensor {
  for (const a of addends) {
    if (a.length !== x.size) throw new Error(`addShared: an array of ${a.length} floats added to ${x.size}`);
  }
  if (x.dtype === "float32" && tf.getKernel(ADD_SHARED, tf.getBackend())) {
    const attrs = { addends, ...(squares ? { squares } : {}) } as unknown as tf.NamedAttrMap;
    return tf.engine().runKernel(ADD_SHARED, { x }, attrs) as tf.Tensor;
  }
  const sum = tf.tidy(() => addends.reduce<tf.Tensor>((s, a) => tf.add(s, tf.tensor(a, x.shape)), x));
  if (squares) squares[0]! += jsSumSquares(sum.dataSync() as Float32Array);
  return sum;
}
