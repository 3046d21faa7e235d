// One AdamW update of one variable as a single kernel, for the backends whose tensors live in JS-visible memory
// (wasm's heap, the cpu backend's arrays). Composed of tfjs ops the update is about twelve element-wise kernels
// per variable, each a dispatch and a pass: for LoRA's 56 small factors on the bench model that was 14 ms a step
// on wasm, nearly all dispatch; as this kernel, 3 ms. It is one pass, in float64, rounded once per output.
// Given the compiled binding (kernels/blas.ts) the wasm kernel runs the same arithmetic in C, which beats the
// composed ops at every size; the JS loop only on small variables (fusedAdamWTakes says which).
// Clipping's factor comes in as an optional scalar input, so clipped gradients are never written out: the
// gradient is scaled and rounded to float32 first, the float a clipping pass would have written.
// train/adamw.ts uses it where the backend has it (not tensorflow).
import {
  getBackend,
  getKernel,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import type { CpuBackend, WasmBackend } from "./backend-memory.ts";
import type { Blas } from "./blas.ts";

export const ADAMW_STEP = "GradesAdamWStep";

export interface AdamWStepAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** The decoupled weight decay's factor, 1 - lr * weight_decay (1: none). */
  decay: number;
  /** The variable's step count after this step (bias correction). */
  t: number;
  /** An array of the variable's size that receives the new weights too (a replica's shared buffer). */
  copyTo?: Float32Array;
}

/**
 * Variables up to this size take the JS loop: it costs about 12 ns a weight against the composed ops' 8 (SIMD
 * passes) plus some 200 µs of dispatch per variable, so it wins below about 50,000 weights (LoRA's factors,
 * norms) and loses on a full matrix (measured on wasm, bench model). The compiled kernel has no such limit.
 */
const JS_LOOP_MAX_SIZE = 1 << 16;

/** Bias corrections as factors: lr / (1 - beta1^t) and 1 / (1 - beta2^t). */
function biasCorrections(a: AdamWStepAttrs): { stepSize: number; c2: number } {
  return { stepSize: a.lr / (1 - a.beta1 ** a.t), c2: 1 / (1 - a.beta2 ** a.t) };
}

/** torch.optim.AdamW's update of w, m and v from g (times gradScale), written to the three outputs. */
export function adamwStepValues(
  w: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  out: { w: Float32Array; m: Float32Array; v: Float32Array },
  a: AdamWStepAttrs,
  gradScale = 1,
): void {
  // Locals, so the loop reads no property (it runs over millions of weights in full fine-tuning).
  const { beta1, beta2, epsilon, decay } = a;
  const [b1, b2] = [1 - beta1, 1 - beta2];
  const { stepSize, c2 } = biasCorrections(a);
  const { w: ow, m: om, v: ov } = out;
  const n = w.length;
  for (let i = 0; i < n; i++) {
    // Exact before the rounding: both factors are float32s.
    const gi = Math.fround(g[i]! * gradScale);
    const mi = beta1 * m[i]! + b1 * gi;
    const vi = beta2 * v[i]! + b2 * gi * gi;
    om[i] = mi;
    ov[i] = vi;
    ow[i] = w[i]! * decay - (stepSize * mi) / (Math.sqrt(vi * c2) + epsilon);
  }
}

/** s: clipping's factor of g, a float32 scalar; absent, 1. */
type Inputs = { w: TensorInfo; g: TensorInfo; m: TensorInfo; v: TensorInfo; s?: TensorInfo };

type StepKernel = KernelFunc & { maxSize?: number };

/** The wasm kernel: the update on views of the heap, by the compiled pass when there is one, else the JS loop. */
function wasmStep(blas?: Blas): StepKernel {
  const kernel: StepKernel = ({ inputs, attrs, backend }) => {
    const { w, g, m, v, s } = inputs as Inputs;
    const b = backend as unknown as WasmBackend;
    const outs = [
      b.makeOutput(w.shape, "float32"),
      b.makeOutput(w.shape, "float32"),
      b.makeOutput(w.shape, "float32"),
    ];
    // Views taken after the allocations: a heap that grew has a new buffer. Every operand is float32.
    const view = (t: TensorInfo) => b.typedArrayFromHeap(t) as Float32Array;
    const [ow, om, ov] = outs.map(view) as [Float32Array, Float32Array, Float32Array];
    const a = attrs as unknown as AdamWStepAttrs;
    const scale = s ? view(s)[0]! : 1;
    if (blas) {
      const { stepSize, c2 } = biasCorrections(a);
      blas.adamw(
        view(w),
        view(g),
        view(m),
        view(v),
        ow,
        om,
        ov,
        a.beta1,
        a.beta2,
        a.epsilon,
        a.decay,
        stepSize,
        c2,
        scale,
        ...(a.copyTo ? [a.copyTo] : []),
      );
    } else {
      adamwStepValues(view(w), view(g), view(m), view(v), { w: ow, m: om, v: ov }, a, scale);
      a.copyTo?.set(ow);
    }
    return outs;
  };
  if (!blas) kernel.maxSize = JS_LOOP_MAX_SIZE;
  return kernel;
}

const cpuStep: KernelFunc = ({ inputs, attrs, backend }) => {
  const { w, g, m, v, s } = inputs as Inputs;
  const b = backend as unknown as CpuBackend;
  const values = (t: TensorInfo) => b.data.get(t.dataId).values;
  const n = values(w).length;
  const out = { w: new Float32Array(n), m: new Float32Array(n), v: new Float32Array(n) };
  const scale = s ? values(s)[0]! : 1;
  const a = attrs as unknown as AdamWStepAttrs;
  adamwStepValues(values(w), values(g), values(m), values(v), out, a, scale);
  a.copyTo?.set(out.w);
  return [out.w, out.m, out.v].map((x) => b.makeTensorInfo(w.shape, "float32", x));
};

const cpuKernel: StepKernel = Object.assign(cpuStep, { maxSize: JS_LOOP_MAX_SIZE });

/**
 * The kernel for wasm and for cpu (inputs w, g, m, v and optionally s; outputs: the new w, m, v); wasm's by the
 * compiled pass given the binding.
 */
export function adamwStepConfigs(blas?: Blas): KernelConfig[] {
  return [
    { kernelName: ADAMW_STEP, backendName: "wasm", kernelFunc: wasmStep(blas) },
    { kernelName: ADAMW_STEP, backendName: "cpu", kernelFunc: cpuKernel },
  ];
}

/** Whether the active backend has the kernel, and it beats the composed ops on a variable of `size` weights. */
export function fusedAdamWTakes(size: number): boolean {
  const kernel = getKernel(ADAMW_STEP, getBackend())?.kernelFunc as StepKernel | undefined;
  return kernel !== undefined && size <= (kernel.maxSize ?? Number.POSITIVE_INFINITY);
}
