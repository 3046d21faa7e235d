// One AdamW update of one variable as a single kernel, for the backends whose tensors live in JS-visible memory
// (wasm's heap, the cpu backend's arrays). Composed of tfjs ops the update is about twelve element-wise kernels
// per variable, each a dispatch and a pass: for LoRA's 56 small factors on the bench model that was 14 ms a step
// on wasm, nearly all dispatch; as this kernel, 3 ms. It is one pass, in float64, rounded once per output.
// train/adamw.ts uses it for small variables only (it says why) and on backends that have it (not tensorflow).
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";

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
}

/** torch.optim.AdamW's update of w, m and v from g, written to the three outputs. */
export function adamwStepValues(
  w: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  out: { w: Float32Array; m: Float32Array; v: Float32Array },
  a: AdamWStepAttrs,
): void {
  // Locals, so the loop reads no property (it runs over millions of weights in full fine-tuning).
  const { lr, beta1, beta2, epsilon, decay } = a;
  const [b1, b2] = [1 - beta1, 1 - beta2];
  // Bias corrections as factors: lr / (1 - beta1^t) and 1 / (1 - beta2^t).
  const stepSize = lr / (1 - beta1 ** a.t);
  const c2 = 1 / (1 - beta2 ** a.t);
  const { w: ow, m: om, v: ov } = out;
  const n = w.length;
  for (let i = 0; i < n; i++) {
    const gi = g[i]!;
    const mi = beta1 * m[i]! + b1 * gi;
    const vi = beta2 * v[i]! + b2 * gi * gi;
    om[i] = mi;
    ov[i] = vi;
    ow[i] = w[i]! * decay - (stepSize * mi) / (Math.sqrt(vi * c2) + epsilon);
  }
}

type WasmBackend = Pick<BackendWasm, "makeOutput" | "typedArrayFromHeap">;

interface CpuBackend {
  data: { get(dataId: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: string, values: Float32Array): TensorInfo;
}

type Inputs = { w: TensorInfo; g: TensorInfo; m: TensorInfo; v: TensorInfo };

const wasmStep: KernelFunc = ({ inputs, attrs, backend }) => {
  const { w, g, m, v } = inputs as Inputs;
  const b = backend as unknown as WasmBackend;
  const outs = [
    b.makeOutput(w.shape, "float32"),
    b.makeOutput(w.shape, "float32"),
    b.makeOutput(w.shape, "float32"),
  ];
  // Views taken after the allocations: a heap that grew has a new buffer. Every operand is float32.
  const view = (t: TensorInfo) => b.typedArrayFromHeap(t) as Float32Array;
  const [ow, om, ov] = outs.map(view);
  adamwStepValues(
    view(w),
    view(g),
    view(m),
    view(v),
    { w: ow!, m: om!, v: ov! },
    attrs as unknown as AdamWStepAttrs,
  );
  return outs;
};

const cpuStep: KernelFunc = ({ inputs, attrs, backend }) => {
  const { w, g, m, v } = inputs as Inputs;
  const b = backend as unknown as CpuBackend;
  const values = (t: TensorInfo) => b.data.get(t.dataId).values;
  const n = values(w).length;
  const out = { w: new Float32Array(n), m: new Float32Array(n), v: new Float32Array(n) };
  adamwStepValues(values(w), values(g), values(m), values(v), out, attrs as unknown as AdamWStepAttrs);
  return [out.w, out.m, out.v].map((x) => b.makeTensorInfo(w.shape, "float32", x));
};

/** The kernel for wasm and for cpu (outputs: the new w, m, v). */
export const adamwStepConfigs: KernelConfig[] = [
  { kernelName: ADAMW_STEP, backendName: "wasm", kernelFunc: wasmStep },
  { kernelName: ADAMW_STEP, backendName: "cpu", kernelFunc: cpuStep },
];
