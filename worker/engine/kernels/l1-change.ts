// GradES's G for every tracked component in one kernel: G = sum over its tensors of ||current - previous||_1,
// divided by its divisor (its element count for normalize "mean", else 1). Composed of tfjs ops it is sub, abs
// and sum per tensor, an addN and a div per component and a stack: about 280 dispatches a step for LoRA's 56
// factors, 1-5 % of a step of the built-in model (docs/engine-model.md). On wasm this kernel reads every tensor
// in place on the heap: a compiled pass per tensor given the binding (blas/l1-distance.c), else a JS loop;
// elsewhere the composed ops.
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import type { WasmBackend as Backend } from "./backend-memory.ts";
import type { Blas } from "./blas.ts";

export const L1_CHANGE = "GradesL1Change";

/** One component's tensors now and at the previous measurement, in the same order, and its divisor. */
export interface ChangeGroup {
  current: tf.Tensor[];
  previous: tf.Tensor[];
  divisor: number;
}

interface L1ChangeAttrs {
  /** Tensors per group; the inputs are c0, p0, c1, p1, … in group order. */
  counts: number[];
  divisors: number[];
}

function jsDistance(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s;
}

/** The wasm kernel, on views of the heap. */
export function l1ChangeConfig(blas?: Blas): KernelConfig {
  const distance = blas ? (a: Float32Array, b: Float32Array) => blas.l1Distance(a, b) : jsDistance;
  const kernelFunc: KernelFunc = ({ inputs, attrs, backend }) => {
    const { counts, divisors } = attrs as unknown as L1ChangeAttrs;
    const tensors = inputs as Record<string, TensorInfo>;
    const total = counts.reduce((n, c) => n + c, 0);
    for (let t = 0; t < total; t++) {
      if (tensors[`c${t}`]!.shape.join(",") !== tensors[`p${t}`]!.shape.join(","))
        throw new Error(`GradES: tensor ${t} changed shape between measurements`);
    }
    const b = backend as unknown as Backend;
    const out = b.makeOutput([counts.length], "float32");
    // Views taken after the allocation: a heap that grew has a new buffer.
    const view = (name: string) => b.typedArrayFromHeap(tensors[name]!) as Float32Array;
    const values = b.typedArrayFromHeap(out) as Float32Array;
    let t = 0;
    counts.forEach((count, g) => {
      let sum = 0;
      for (let k = 0; k < count; k++, t++) sum += distance(view(`c${t}`), view(`p${t}`));
      values[g] = sum / divisors[g]!;
    });
    return out;
  };
  return { kernelName: L1_CHANGE, backendName: "wasm", kernelFunc };
}

/** Each group's G as a [groups] tensor: by the kernel where the backend has it, else by tfjs' ops. */
export function l1Changes(groups: ChangeGroup[]): tf.Tensor1D {
  if (tf.getKernel(L1_CHANGE, tf.getBackend()) !== undefined) {
    const inputs: Record<string, tf.Tensor> = {};
    let t = 0;
    for (const g of groups) {
      g.current.forEach((c, k) => {
        inputs[`c${t}`] = c;
        inputs[`p${t++}`] = g.previous[k]!;
      });
    }
    const attrs = { counts: groups.map((g) => g.current.length), divisors: groups.map((g) => g.divisor) };
    return tf.engine().runKernel(L1_CHANGE, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor1D;
  }
  return tf.tidy(() =>
    tf.stack(
      groups.map((g) => {
        const parts = g.current.map((c, i) => tf.sum(tf.abs(tf.sub(c, g.previous[i]!))));
        return tf.div(parts.length === 1 ? parts[0]! : tf.addN(parts), g.divisor);
      }),
    ),
  ) as tf.Tensor1D;
}
