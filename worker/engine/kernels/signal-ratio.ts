// grad_snr's moving averages and ratios for every tracked component in one kernel. Per component and per
// tensor of it, m' = b·m + (1 − b)·g and s' = b·s + (1 − b)·g², and the component's ratio
// Σ m'² / (Σ s' · c), c its bias correction 1 − b^k. Composed of tfjs ops that is about a dozen dispatches per
// tensor; on the built-in model, measured every step, they made a LoRA step 55 % and a full step 82 % slower
// (bench:engine's monitoring table). On wasm this kernel makes one pass per tensor over views of the heap
// (compiled given the binding, else a JS loop), writes the new averages to its outputs (the old ones are left as
// they were) and sums in double; elsewhere the ops.
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import type { WasmBackend as Backend } from "./backend-memory.ts";
import type { Blas } from "./blas.ts";

export const SIGNAL_RATIO = "GradesSignalRatio";

/**
 * One component: its gradients, its moving averages as [m of each tensor…, s of each tensor…] (the layout a
 * component's averages keep between steps and in checkpoints), and its bias correction.
 */
export interface SignalGroup {
  grads: tf.Tensor[];
  averages: tf.Tensor[];
  correction: number;
}

export interface SignalResult {
  /** [groups] ratios. */
  ratios: tf.Tensor1D;
  /** Each group's new averages, in the same layout as its inputs'. */
  averages: tf.Tensor[][];
}

interface SignalAttrs {
  /** Tensors per group; the inputs are g0, m0, s0, g1, … in group order. */
  counts: number[];
  corrections: number[];
  beta: number;
}

/** One tensor's new averages into mOut and sOut; returns [Σ mOut², Σ sOut], summed in double. */
type Average = Blas["signalAverage"];

const jsAverage: Average = (g, m, s, mOut, sOut, beta) => {
  const a = 1 - beta;
  let signal = 0;
  let power = 0;
  for (let i = 0; i < g.length; i++) {
    const x = g[i]!;
    mOut[i] = beta * m[i]! + a * x;
    sOut[i] = beta * s[i]! + a * x * x;
    // Read back: the float32 values stored, as the compiled pass sums them.
    signal += mOut[i]! * mOut[i]!;
    power += sOut[i]!;
  }
  return [signal, power];
};

/**
 * The wasm kernel, on views of the heap: a compiled pass per tensor given the binding (blas/signal-average.c),
 * else a JS loop. Outputs: the ratios, then each group's new averages in order (its m's, then its s's).
 */
export function signalRatioConfig(blas?: Blas): KernelConfig {
  const average: Average = blas ? (...args) => blas.signalAverage(...args) : jsAverage;
  const kernelFunc: KernelFunc = ({ inputs, attrs, backend }) => {
    const { counts, corrections, beta } = attrs as unknown as SignalAttrs;
    const tensors = inputs as Record<string, TensorInfo>;
    const b = backend as unknown as Backend;
    const ratios = b.makeOutput([counts.length], "float32");
    const outs: TensorInfo[] = [];
    let first = 0;
    for (const count of counts) {
      for (let t = first; t < first + count; t++) {
        const shape = tensors[`g${t}`]!.shape.join(",");
        if (tensors[`m${t}`]!.shape.join(",") !== shape || tensors[`s${t}`]!.shape.join(",") !== shape)
          throw new Error(`GradES: tensor ${t}'s moving averages do not have its shape`);
      }
      // The group's new m's, then its new s's.
      for (let half = 0; half < 2; half++)
        for (let t = first; t < first + count; t++)
          outs.push(b.makeOutput(tensors[`g${t}`]!.shape, "float32"));
      first += count;
    }
    // Views taken after every allocation: a heap that grew has a new buffer.
    const view = (info: TensorInfo) => b.typedArrayFromHeap(info) as Float32Array;
    const out = view(ratios);
    first = 0;
    counts.forEach((count, group) => {
      let signal = 0;
      let power = 0;
      for (let k = 0; k < count; k++) {
        const t = first + k;
        const [sig, pow] = average(
          view(tensors[`g${t}`]!),
          view(tensors[`m${t}`]!),
          view(tensors[`s${t}`]!),
          view(outs[2 * first + k]!),
          view(outs[2 * first + count + k]!),
          beta,
        );
        signal += sig;
        power += pow;
      }
      out[group] = signal / (power * corrections[group]!);
      first += count;
    });
    return [ratios, ...outs];
  };
  return { kernelName: SIGNAL_RATIO, backendName: "wasm", kernelFunc };
}

/** The new averages and every group's ratio: by the kernel where the backend has it, else by tfjs' ops. */
export function signalRatios(groups: SignalGroup[], beta: number): SignalResult {
  if (tf.getKernel(SIGNAL_RATIO, tf.getBackend()) !== undefined) {
    const inputs: Record<string, tf.Tensor> = {};
    let t = 0;
    for (const g of groups)
      g.grads.forEach((grad, k) => {
        inputs[`g${t}`] = grad;
        inputs[`m${t}`] = g.averages[k]!;
        inputs[`s${t++}`] = g.averages[g.grads.length + k]!;
      });
    const attrs = {
      counts: groups.map((g) => g.grads.length),
      corrections: groups.map((g) => g.correction),
      beta,
    };
    const [ratios, ...outs] = tf
      .engine()
      .runKernel(SIGNAL_RATIO, inputs, attrs as unknown as tf.NamedAttrMap) as unknown as tf.Tensor[];
    let first = 0;
    const averages = groups.map((g) => {
      const end = first + 2 * g.grads.length;
      const mine = outs.slice(first, end);
      first = end;
      return mine;
    });
    return { ratios: ratios as tf.Tensor1D, averages };
  }
  const averages: tf.Tensor[][] = [];
  const ratios = tf.tidy(() => {
    const values = groups.map((g) => {
      const n = g.grads.length;
      const m = g.grads.map((grad, i) =>
        tf.keep(tf.add(tf.mul(grad, 1 - beta), tf.mul(g.averages[i]!, beta))),
      );
      const s = g.grads.map((grad, i) =>
        tf.keep(tf.add(tf.mul(tf.square(grad), 1 - beta), tf.mul(g.averages[n + i]!, beta))),
      );
      averages.push([...m, ...s]);
      const signal = tf.addN(m.map((x) => tf.sum(tf.square(x))));
      return tf.div(signal, tf.mul(tf.addN(s.map((x) => tf.sum(x))), g.correction));
    });
    return tf.stack(values) as tf.Tensor1D;
  });
  return { ratios, averages };
}
