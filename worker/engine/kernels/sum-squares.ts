// The sum of squares of many tensors in one kernel: the square of the global norm that gradient clipping
// (train/clip.ts) divides by. Composed of tfjs ops it is a square and a sum per gradient and an addN, about 140
// dispatches and two passes over every gradient a step of full fine-tuning on the bench model, 8-10 ms of it on
// wasm. Here it is one pass per tensor, read in place, summed in double: on wasm by the compiled pass given the
// binding (blas/sum-squares.c), else a JS loop, as on cpu; elsewhere the composed ops.
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import type { CpuBackend, WasmBackend } from "./backend-memory.ts";
import type { Blas } from "./blas.ts";

export const SUM_SQUARES = "GradesSumSquares";

/** sum a[i]² in double, by JS. */
export function jsSumSquares(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return s;
}

/** The sum of squares of one array: compiled given the binding, else by JS. */
export function sumSquaresOf(blas?: Blas): (a: Float32Array) => number {
  return blas ? (a) => blas.sumSquares(a) : jsSumSquares;
}

/** The inputs x0, x1, … in order: a sum that does not depend on how a JS object orders its keys. */
function ordered(inputs: Record<string, TensorInfo>): TensorInfo[] {
  return Array.from({ length: Object.keys(inputs).length }, (_, i) => inputs[`x${i}`]!);
}

/** The wasm kernel, on views of the heap. */
export function sumSquaresWasmConfig(blas?: Blas): KernelConfig {
  const sumOf = sumSquaresOf(blas);
  const kernelFunc: KernelFunc = ({ inputs, backend }) => {
    const b = backend as unknown as WasmBackend;
    const out = b.makeOutput([], "float32");
    let s = 0;
    // Views taken after the allocation: a heap that grew has a new buffer.
    for (const x of ordered(inputs as Record<string, TensorInfo>))
      s += sumOf(b.typedArrayFromHeap(x) as Float32Array);
    (b.typedArrayFromHeap(out) as Float32Array)[0] = s;
    return out;
  };
  return { kernelName: SUM_SQUARES, backendName: "wasm", kernelFunc };
}

const cpuKernel: KernelFunc = ({ inputs, backend }) => {
  const b = backend as unknown as CpuBackend;
  let s = 0;
  for (const x of ordered(inputs as Record<string, TensorInfo>))
    s += jsSumSquares(b.data.get(x.dataId).values);
  return b.makeTensorInfo([], "float32", Float32Array.of(s));
};

export const sumSquaresCpuConfig: KernelConfig = {
  kernelName: SUM_SQUARES,
  backendName: "cpu",
  kernelFunc: cpuKernel,
};

/** sum over the tensors of sum x², a scalar: by the kernel where the backend has it, else by tfjs' ops. */
export function sumOfSquares(tensors: tf.Tensor[]): tf.Scalar {
  if (tensors.length === 0) return tf.scalar(0);
  if (tensors.every((t) => t.dtype === "float32") && tf.getKernel(SUM_SQUARES, tf.getBackend())) {
    const inputs = Object.fromEntries(tensors.map((t, i) => [`x${i}`, t]));
    return tf.engine().runKernel(SUM_SQUARES, inputs) as tf.Scalar;
  }
  return tf.tidy(() => tf.addN(tensors.map((t) => tf.sum(tf.square(t))))) as tf.Scalar;
}
