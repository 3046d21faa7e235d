// AdamW (Loshchilov & Hutter) as torch.optim.AdamW computes it: decoupled weight decay w <- w * (1 - lr * wd),
// then the bias-corrected Adam step. State lives per variable so a frozen matrix's moments can be released.
import * as tf from "@tensorflow/tfjs-core";
import { ADAMW_STEP, type AdamWStepAttrs, fusedAdamWTakes } from "../kernels/adamw-step.ts";

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay: number;
}

interface Slot {
  m: tf.Tensor;
  v: tf.Tensor;
  /** Steps this variable has taken (torch keeps the count per parameter too). */
  t: number;
}

/** Where the optimizer also writes a weight's new values, and whom it tells (parallel/replicas.ts). */
export interface WeightSink {
  /** An array of the variable's size to receive `key`'s new values, or undefined. */
  target(key: string): Float32Array | undefined;
  /** `key` holds its new values, and so does the array target(key) gave. */
  updated(key: string): void;
}

export interface ParamUpdate {
  key: string;
  variable: tf.Variable;
  grad: tf.Tensor;
  /** false: no weight decay (norms and biases, as Hugging Face's Trainer leaves them out). */
  decay?: boolean;
}

/** The update as one kernel (kernels/adamw-step.ts) where the backend has it; returns the new m, v and w. */
function fusedStep(
  variable: tf.Tensor,
  grad: tf.Tensor,
  prev: Slot,
  attrs: AdamWStepAttrs,
  gradScale: tf.Scalar | undefined,
): tf.Tensor[] {
  const inputs = { w: variable, g: grad, m: prev.m, v: prev.v, ...(gradScale ? { s: gradScale } : {}) };
  const [w, m, v] = tf
    .engine()
    .runKernel(ADAMW_STEP, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return [m!, v!, w!];
}

export class AdamW {
  private readonly slots = new Map<string, Slot>();
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly weightDecay: number;

  constructor(opts: AdamWOptions) {
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.epsilon = opts.epsilon ?? 1e-8;
    this.weightDecay = opts.weightDecay;
  }

  /**
   * One optimizer step at learning rate `lr` for the given variables (grads are read, not disposed), each
   * gradient first multiplied by `gradScale` (clipping's factor, train/clip.ts) when given; each new weight
   * also goes to `sink`, as soon as it is computed (by the update's own pass where it is one kernel).
   */
  apply(updates: ParamUpdate[], lr: number, gradScale?: tf.Scalar, sink?: WeightSink): void {
    const { beta1, beta2, epsilon, weightDecay } = this;
    for (const { key, variable, grad, decay } of updates) {
      let slot = this.slots.get(key);
      if (!slot) {
        slot = { m: tf.keep(tf.zerosLike(variable)), v: tf.keep(tf.zerosLike(variable)), t: 0 };
        this.slots.set(key, slot);
      }
      const t = slot.t + 1;
      const prev = slot;
      const decayFactor = weightDecay === 0 || decay === false ? 1 : 1 - lr * weightDecay;
      const fused = variable.dtype === "float32" && fusedAdamWTakes(variable.size);
      const copyTo = sink?.target(key);
      const attrs = { lr, beta1, beta2, epsilon, decay: decayFactor, t, ...(copyTo ? { copyTo } : {}) };
      const [m, v, w] = fused
        ? fusedStep(variable, grad, prev, attrs, gradScale)
        : tf.tidy(() => {
            const g = gradScale ? tf.mul(grad, gradScale) : grad;
            const m = tf.add(tf.mul(prev.m, beta1), tf.mul(g, 1 - beta1));
            const v = tf.add(tf.mul(prev.v, beta2), tf.mul(tf.square(g), 1 - beta2));
            const mHat = tf.div(m, 1 - beta1 ** t);
            const vHat = tf.div(v, 1 - beta2 ** t);
            const step = tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), epsilon)), lr);
            const decayed = decayFactor === 1 ? variable : tf.mul(variable, decayFactor);
            return [m, v, tf.sub(decayed, step)];
          });
      variable.assign(w as tf.Tensor);
      w!.dispose();
      if (copyTo && !fused) copyTo.set(variable.dataSync());
      prev.m.dispose();
      prev.v.dispose();
      this.slots.set(key, { m: m!, v: v!, t });
      sink?.updated(key);
    }
  }

  /** Frees a variable's moments (its matrix froze and will never be updated again). */
  release(key: string): void {
    const slot = this.slots.get(key);
    if (!slot) return;
    slot.m.dispose();
    slot.v.dispose();
    this.slots.delete(key);
  }

  has(key: string): boolean {
    return this.slots.has(key);
  }

  get size(): number {
    return this.slots.size;
  }

  /** The moments by `${key}.exp_avg` / `${key}.exp_avg_sq` and each variable's step count. */
  exportState(): { tensors: Map<string, tf.Tensor>; steps: Record<string, number> } {
    const tensors = new Map<string, tf.Tensor>();
    const steps: Record<string, number> = {};
    for (const [key, slot] of this.slots) {
      tensors.set(`${key}.exp_avg`, slot.m);
      tensors.set(`${key}.exp_avg_sq`, slot.v);
      steps[key] = slot.t;
    }
    return { tensors, steps };
  }

  /** Restores moments saved by exportState; takes ownership of the given tensors. */
  importState(tensors: Map<string, tf.Tensor>, steps: Record<string, number>): void {
    for (const [key, t] of Object.entries(steps)) {
      const m = tensors.get(`${key}.exp_avg`);
      const v = tensors.get(`${key}.exp_avg_sq`);
      if (!m || !v) throw new Error(`optimizer state for "${key}" is missing its moments`);
      this.release(key);
      this.slots.set(key, { m, v, t });
    }
  }

  dispose(): void {
    for (const key of [...this.slots.keys()]) this.release(key);
  }
}
