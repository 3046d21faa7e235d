// The GradES controller (Wen et al., 2025): per tracked matrix W it measures
//   G_W(t) = || grad W_t - grad W_{t-1} ||_1      (metric "grad_change", the paper's)
// or || W_t - W_{t-1} ||_1 ("weight_change", what the authors' code measures), summed over a LoRA pair's A and B,
// optionally divided by the element count ("mean") so a threshold transfers between matrix sizes.
// Both measure how much consecutive minibatches differ, which is noise as much as learning: a difference of two
// gradients cancels their common direction. "grad_snr" measures that direction instead: with moving averages m
// of the gradient and s of its square (bias-corrected, SIGNAL_BETA),
//   G_W(t) = sum m^2 / sum s      (a ratio of 1: every minibatch agrees; (1 - b) / (1 + b): pure noise)
// so a matrix can freeze once its gradient no longer points anywhere, whether or not the minibatches still differ.
// After the grace period floor(alpha * total_steps), a matrix whose G falls below tau (or below relative_tau times
// its own G at the end of the grace period, or at its peak) freezes for good. With `smoothing`, an exponential moving average of
// G stands in for G in that test (see GradesOptions.smoothing). Deliberate differences from the authors' code:
// all metrics are computed on the device and reach the host in one read; a matrix's first measurement (there is
// no previous value before it) never freezes it; the state, previous tensors included, is saved and restored.
import * as tf from "@tensorflow/tfjs-core";
import { l1Changes } from "../kernels/l1-change.ts";
import { type SignalGroup, signalRatios } from "../kernels/signal-ratio.ts";
import type { GradesOptions } from "./types.ts";

/**
 * grad_snr's moving averages: about 1 / (1 - b) = 20 measurements. Pure noise then gives a ratio of
 * (1 - b) / (1 + b) = 0.026, so a consistent direction well below the noise still stands out.
 */
export const SIGNAL_BETA = 0.95;

export interface TrackedComponent {
  name: string;
  /** Elements of all its tracked tensors (LoRA: A and B), the divisor for normalize "mean". */
  size: number;
}

export interface FreezeDecision {
  name: string;
  step: number;
  metric: number;
}

/** The serialisable part of the controller's state (previous tensors are saved separately). */
export interface GradesState {
  frozenAt: Record<string, number>;
  reference: Record<string, number>;
  lastMetric: Record<string, number>;
  measurements: Record<string, number>;
  /** Moving average of G per component (smoothing only; absent in older checkpoints). */
  smoothed?: Record<string, number>;
  /** Step whose tensors are held as "previous", or null. */
  prevStep: number | null;
}

/** A measurement computed on the device, waiting for its one host read. */
export interface PendingMeasurement {
  step: number;
  names: string[];
  /** [k] metrics in `names` order; the caller owns it. */
  values: tf.Tensor1D;
}

export class GradesController {
  readonly graceSteps: number;
  private readonly sizes = new Map<string, number>();
  private readonly order: string[];
  private readonly frozenAt = new Map<string, number>();
  private readonly reference = new Map<string, number>();
  private readonly lastMetric = new Map<string, number>();
  private readonly measurements = new Map<string, number>();
  private readonly smoothed = new Map<string, number>();
  private prev = new Map<string, tf.Tensor[]>();
  private prevStep: number | null = null;

  constructor(
    components: TrackedComponent[],
    readonly opts: GradesOptions,
    readonly totalSteps: number,
  ) {
    if (!(opts.interval >= 1) || !Number.isInteger(opts.interval)) {
      throw new Error(`grades interval must be a positive integer, got ${opts.interval}`);
    }
    this.order = components.map((c) => c.name);
    for (const c of components) this.sizes.set(c.name, c.size);
    this.graceSteps = Math.floor(opts.alpha * totalSteps);
  }

  get componentNames(): readonly string[] {
    return this.order;
  }

  isFrozen(name: string): boolean {
    return this.frozenAt.has(name);
  }

  frozenStep(name: string): number | null {
    return this.frozenAt.get(name) ?? null;
  }

  metricOf(name: string): number | null {
    return this.lastMetric.get(name) ?? null;
  }

  get frozenCount(): number {
    return this.frozenAt.size;
  }

  get frozenFraction(): number {
    return this.order.length === 0 ? 0 : this.frozenAt.size / this.order.length;
  }

  /** Training ends once the frozen fraction reaches max_frozen_ratio. */
  shouldStop(): boolean {
    return (
      this.opts.enabled && this.order.length > 0 && this.frozenFraction >= this.opts.maxFrozenRatio - 1e-12
    );
  }

  /** Steps (1-based optimizer steps) at which G is measured. */
  measuresAt(step: number): boolean {
    return this.opts.enabled && step % this.opts.interval === 0;
  }

  /**
   * Whether the tensors of `step` are needed: at a measurement, or as the "previous" of the next one
   * (grad_snr keeps moving averages instead of a previous step's tensors).
   */
  needsTensorsAt(step: number): boolean {
    const asPrevious = this.opts.metric !== "grad_snr" && this.measuresAt(step + 1);
    return this.opts.enabled && (this.measuresAt(step) || asPrevious);
  }

  /**
   * Builds the metrics of step `step` on the device from `current` (the tracked tensors of the non-frozen
   * components: gradients for grad_change, weights after the update for weight_change) and keeps them as the
   * next "previous". The caller still owns `current`. Returns null when nothing is measured at this step.
   */
  measure(step: number, current: Map<string, tf.Tensor[]>): PendingMeasurement | null {
    if (!this.opts.enabled) return null;
    if (this.opts.metric === "grad_snr") return this.measureSignal(step, current);
    let pending: PendingMeasurement | null = null;
    const havePrev = this.prevStep === step - 1;
    if (this.measuresAt(step) && havePrev) {
      const names: string[] = [];
      const pairs: [tf.Tensor[], tf.Tensor[]][] = [];
      for (const name of this.order) {
        const cur = current.get(name);
        const prev = this.prev.get(name);
        if (!cur || !prev || this.frozenAt.has(name)) continue;
        names.push(name);
        pairs.push([cur, prev]);
      }
      if (names.length > 0) {
        const mean = this.opts.normalize === "mean";
        const values = l1Changes(
          pairs.map(([current, previous], k) => ({
            current,
            previous,
            divisor: mean ? this.sizes.get(names[k]!)! : 1,
          })),
        );
        pending = { step, names, values };
      }
    }
    this.releasePrev();
    if (this.measuresAt(step + 1)) this.keepAsPrevious(step, current);
    return pending;
  }

  /**
   * grad_snr: folds this step's gradients into each component's moving averages (held where the other metrics
   * hold their previous tensors, in SignalGroup's layout, so checkpoints carry them) and builds
   * the ratios on the device. A component's k-th measurement divides by 1 - b^k, the bias of averages that
   * start at zero, so its first ratio is 1.
   */
  private measureSignal(step: number, current: Map<string, tf.Tensor[]>): PendingMeasurement | null {
    if (!this.measuresAt(step)) return null;
    const names: string[] = [];
    const groups: SignalGroup[] = [];
    for (const name of this.order) {
      const grads = current.get(name);
      if (!grads || this.frozenAt.has(name)) continue;
      const averages = this.prev.get(name) ?? [...grads, ...grads].map((g) => tf.keep(tf.zerosLike(g)));
      const k = (this.measurements.get(name) ?? 0) + 1;
      names.push(name);
      groups.push({ grads, averages, correction: 1 - SIGNAL_BETA ** k });
    }
    if (names.length === 0) return null;
    const { ratios, averages } = signalRatios(groups, SIGNAL_BETA);
    names.forEach((name, i) => {
      for (const t of groups[i]!.averages) t.dispose();
      this.prev.set(
        name,
        averages[i]!.map((t) => tf.keep(t)),
      );
    });
    this.prevStep = step;
    return { step, names, values: ratios };
  }

  /**
   * Holds the non-frozen components' tensors as those of `step`. tf.clone shares the data buffer on the cpu
   * backend but copies it on wasm (a memcpy of the tracked gradients per measured step, small next to the
   * step's matmuls; the copy is what lets the caller dispose its own tensors and the weights be reassigned).
   */
  private keepAsPrevious(step: number, current: Map<string, tf.Tensor[]>): void {
    for (const [name, tensors] of current) {
      if (this.frozenAt.has(name)) continue;
      this.prev.set(
        name,
        tensors.map((t) => tf.keep(tf.clone(t))),
      );
    }
    this.prevStep = step;
  }

  /**
   * Holds `current` as the tensors of step `step` unless that step's are already held. weight_change uses it
   * to keep W_{t-1} (the weights before step t's update) when the previous step did not keep them.
   */
  holdPrevious(step: number, current: Map<string, tf.Tensor[]>): void {
    if (!this.opts.enabled || this.prevStep === step) return;
    this.releasePrev();
    this.keepAsPrevious(step, current);
  }

  /** Applies a measurement's host values: records them and freezes what falls below the threshold. */
  decide(pending: PendingMeasurement, values: ArrayLike<number>): FreezeDecision[] {
    const { step } = pending;
    const frozen: FreezeDecision[] = [];
    pending.names.forEach((name, k) => {
      const raw = values[k]!;
      this.lastMetric.set(name, raw);
      const count = (this.measurements.get(name) ?? 0) + 1;
      this.measurements.set(name, count);
      if (!Number.isFinite(raw)) return;
      const g = this.smooth(name, raw);
      // The peak reference follows every measurement, those of the grace period included.
      if (this.opts.relativeTau !== undefined && this.opts.relativeReference === "peak")
        this.reference.set(name, Math.max(this.reference.get(name) ?? g, g));
      if (step < this.graceSteps) return;
      let threshold = this.opts.tau;
      if (this.opts.relativeTau !== undefined) {
        const ref = this.reference.get(name);
        if (ref === undefined) {
          // The first measurement after the grace period is the component's own scale.
          this.reference.set(name, g);
          return;
        }
        threshold = this.opts.relativeTau * ref;
      }
      // A first measurement has nothing before it to compare with: it never freezes.
      if (count < 2) return;
      if (g < threshold) {
        this.frozenAt.set(name, step);
        const prev = this.prev.get(name);
        if (prev) for (const t of prev) t.dispose();
        this.prev.delete(name);
        frozen.push({ name, step, metric: g });
      }
    });
    return frozen;
  }

  /** The value the freeze test compares: G itself, or its moving average when smoothing is set. */
  private smooth(name: string, g: number): number {
    const beta = this.opts.smoothing;
    if (beta === undefined) return g;
    const before = this.smoothed.get(name);
    const s = before === undefined ? g : beta * before + (1 - beta) * g;
    this.smoothed.set(name, s);
    return s;
  }

  /** The moving average of a component's G (null without smoothing or before its first measurement). */
  smoothedMetricOf(name: string): number | null {
    return this.smoothed.get(name) ?? null;
  }

  /** Freezes a component without a measurement (benchmarks and tests that need a given frozen set). */
  forceFreeze(name: string, step: number): void {
    if (!this.order.includes(name)) throw new Error(`unknown component "${name}"`);
    if (this.frozenAt.has(name)) return;
    this.frozenAt.set(name, step);
    const prev = this.prev.get(name);
    if (prev) for (const t of prev) t.dispose();
    this.prev.delete(name);
  }

  /** measure + one host read + decide: for callers that have nothing else to read at this step. */
  observe(step: number, current: Map<string, tf.Tensor[]>): FreezeDecision[] {
    const pending = this.measure(step, current);
    if (!pending) return [];
    const values = pending.values.dataSync();
    pending.values.dispose();
    return this.decide(pending, values);
  }

  private releasePrev(): void {
    for (const tensors of this.prev.values()) for (const t of tensors) t.dispose();
    this.prev.clear();
    this.prevStep = null;
  }

  /** The previous tensors by `${name}#${i}` for a checkpoint (still owned by the controller). */
  prevTensors(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const [name, tensors] of this.prev) {
      tensors.forEach((t, i) => {
        out.set(`${name}#${i}`, t);
      });
    }
    return out;
  }

  exportState(): GradesState {
    return {
      frozenAt: Object.fromEntries(this.frozenAt),
      reference: Object.fromEntries(this.reference),
      lastMetric: Object.fromEntries(this.lastMetric),
      measurements: Object.fromEntries(this.measurements),
      smoothed: Object.fromEntries(this.smoothed),
      prevStep: this.prevStep,
    };
  }

  /** Restores a saved state; takes ownership of `prevTensors` (keyed as prevTensors() produced them). */
  importState(state: GradesState, prevTensors: Map<string, tf.Tensor>): void {
    this.releasePrev();
    this.frozenAt.clear();
    this.reference.clear();
    this.lastMetric.clear();
    this.measurements.clear();
    this.smoothed.clear();
    const known = new Set(this.order);
    for (const [name, step] of Object.entries(state.frozenAt)) {
      if (!known.has(name)) throw new Error(`GradES state names unknown component "${name}"`);
      this.frozenAt.set(name, step);
    }
    for (const [k, v] of Object.entries(state.reference)) this.reference.set(k, v);
    for (const [k, v] of Object.entries(state.lastMetric)) this.lastMetric.set(k, v);
    for (const [k, v] of Object.entries(state.measurements)) this.measurements.set(k, v);
    for (const [k, v] of Object.entries(state.smoothed ?? {})) this.smoothed.set(k, v);
    const grouped = new Map<string, tf.Tensor[]>();
    for (const [key, t] of prevTensors) {
      const at = key.lastIndexOf("#");
      const name = key.slice(0, at);
      const i = Number(key.slice(at + 1));
      const list = grouped.get(name) ?? [];
      list[i] = t;
      grouped.set(name, list);
    }
    this.prev = grouped;
    this.prevStep = grouped.size > 0 ? state.prevStep : null;
  }

  dispose(): void {
    this.releasePrev();
  }
}
