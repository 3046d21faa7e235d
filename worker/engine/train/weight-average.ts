// An exponential moving average of the trained weights, A_t = a * A_(t-1) + (1 - a) * W_t, which a run that
// GradES stops writes as its outputs instead of its last step's weights (grades.weight_average). Such a run
// stops in the middle of its learning-rate schedule, on one draw of the step-to-step noise that a high learning
// rate leaves in the weights (docs/grades.md: 1-3 points of accuracy between checkpoints 60 steps apart); the
// average takes that noise out, as the schedule's annealing does at the end of a full budget. A run that
// reaches its budget has been annealed and keeps its last weights: there the average would only lag behind a
// run still learning (docs/grades.md, 3 epochs). Frozen matrices are averaged too: their weights no longer
// change, and their average goes on moving towards them, as it would for any weight that stopped moving.
import * as tf from "@tensorflow/tfjs-core";
import type { GradesOptions, StopReason } from "./types.ts";

/**
 * Whether a run that stopped for `reason` is written with its average: only a GradES stop, which comes before
 * the schedule has annealed. A checkpoint's adapter, what a GradES stop at its step would write, always is.
 */
export function averagesOutputs(reason: StopReason): boolean {
  return reason === "all_frozen";
}

/**
 * The step whose weights the average starts from: its memory, about 1 / (1 - a) steps, before the end of the
 * grace period, so that a stop at the first step GradES may stop at (every matrix frozen at once) already ends
 * on a full window, and never mixes in the weights of the first steps, which are far from where the run ends.
 */
export function averageStartStep(graceSteps: number, decay: number): number {
  return Math.max(1, graceSteps - Math.round(1 / (1 - decay)));
}

/** The average's decay a run keeps, or undefined: it is a GradES option, and a run without GradES keeps none. */
export function weightAverageDecay(grades: GradesOptions): number | undefined {
  return grades.enabled ? grades.weightAverage : undefined;
}

export interface AveragedVariable {
  key: string;
  variable: tf.Variable;
}

export class WeightAverage {
  private readonly averages = new Map<string, tf.Tensor>();

  /** `decay`: a in [0, 1); 0 keeps the last step's weights. */
  constructor(readonly decay: number) {
    if (!(decay >= 0 && decay < 1))
      throw new RangeError(`weight average decay must be in [0, 1), got ${decay}`);
  }

  /** Folds the variables' current values in; the first call takes them as they are. */
  update(variables: AveragedVariable[]): void {
    const a = this.decay;
    for (const { key, variable } of variables) {
      const prev = this.averages.get(key);
      const next = prev
        ? tf.tidy(() => tf.add(tf.mul(prev, a), tf.mul(variable, 1 - a)))
        : tf.keep(variable.clone());
      prev?.dispose();
      this.averages.set(key, next);
    }
  }

  /**
   * Runs `write` while the variables hold their averages, then puts the trained values back (a run goes on
   * training from its own weights after a checkpoint). Variables without an average keep their values.
   */
  async withAverages<T>(variables: AveragedVariable[], write: () => Promise<T>): Promise<T> {
    const swapped = variables.filter(({ key }) => this.averages.has(key));
    const trained = swapped.map(({ variable }) => tf.keep(variable.clone()));
    for (const { key, variable } of swapped) variable.assign(this.averages.get(key)!);
    try {
      return await write();
    } finally {
      swapped.forEach(({ variable }, i) => {
        variable.assign(trained[i]!);
      });
      tf.dispose(trained);
    }
  }

  /** The averages by variable key (owned by this object), for a checkpoint. */
  tensors(): Map<string, tf.Tensor> {
    return new Map(this.averages);
  }

  /** Restores averages saved by tensors(); takes ownership of the given tensors. */
  importTensors(tensors: Map<string, tf.Tensor>): void {
    this.dispose();
    for (const [key, t] of tensors) this.averages.set(key, t);
  }

  dispose(): void {
    tf.dispose([...this.averages.values()]);
    this.averages.clear();
  }
}
