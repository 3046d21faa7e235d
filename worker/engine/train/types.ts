// The training entry point's contract: what the worker (and the CLI) pass in and get back.
import type { Projection } from "../model/types.ts";

export type BackendName = "auto" | "tensorflow" | "wasm" | "cpu";

export interface GradesOptions {
  enabled: boolean;
  /** Freeze threshold on G (after normalisation). */
  tau: number;
  /** Grace period as a fraction of total steps: nothing freezes before floor(alpha * total_steps). */
  alpha: number;
  /**
   * grad_change: ||grad_t - grad_{t-1}||_1 (the paper's); weight_change: ||W_t - W_{t-1}||_1 (the authors'
   * code's); grad_snr: the gradient's moving average's energy over its square's (grades.ts).
   */
  metric: "grad_change" | "weight_change" | "grad_snr";
  /** sum: plain L1 (the paper's); mean: L1 divided by the element count, so tau transfers between matrix sizes. */
  normalize: "sum" | "mean";
  /** When set, freeze when G < relative_tau * (the component's reference G, below); replaces tau. */
  relativeTau?: number;
  /**
   * The reference of relative_tau: "grace_end" (default) the component's first G after the grace period; "peak"
   * the largest G it has had so far (a LoRA pair's G starts near 0, as B starts at 0, and rises before it
   * decays, so its value at one step is a matter of where the grace period ends).
   */
  relativeReference?: "grace_end" | "peak";
  /**
   * When set (0 <= smoothing < 1), the freeze test uses an exponential moving average of G,
   * S_t = smoothing * S_(t-1) + (1 - smoothing) * G_t, instead of G_t itself: a minibatch's G is mostly noise,
   * so a single low draw would freeze a matrix that is still learning. The relative reference is then S at the
   * end of the grace period. Reported metrics stay the raw G.
   */
  smoothing?: number;
  /** Measure every `interval` optimizer steps. */
  interval: number;
  /** Stop training when this fraction of components is frozen. */
  maxFrozenRatio: number;
  /**
   * When set (0 <= weightAverage < 1), the outputs of a run GradES stops (and its checkpoints' adapters)
   * hold an exponential moving average of the trained weights, A_t = weightAverage * A_(t-1) +
   * (1 - weightAverage) * W_t, started about 1 / (1 - weightAverage) steps before the end of the grace period,
   * instead of the last step's weights (train/weight-average.ts). Training itself is unchanged. GradES runs only.
   */
  weightAverage?: number;
}

/** GradES switched off (train the full budget); its other fields are never read while it is off. */
export const GRADES_OFF: GradesOptions = {
  enabled: false,
  tau: 0,
  alpha: 0,
  metric: "grad_change",
  normalize: "mean",
  interval: 1,
  maxFrozenRatio: 1,
};

export interface EarlyStoppingOptions {
  /** Evaluate validation loss every `evalInterval` steps; stop after `patience` evaluations without improvement. */
  patience: number;
  evalInterval: number;
  minDelta: number;
}

export interface TrainSpec {
  modelDir: string;
  trainFile: string;
  validationFile?: string;
  /** Where the adapter (LoRA) or model folder (full) and summary.json are written. */
  outputDir: string;
  trainingType: "lora" | "full";
  lora: { r: number; alpha: number; dropout: number; targetModules: Projection[]; useRslora: boolean };
  grades: GradesOptions;
  earlyStopping?: EarlyStoppingOptions;
  nEpochs: number;
  batchSize: number;
  gradientAccumulationSteps: number;
  learningRate: number;
  weightDecay: number;
  warmupRatio: number;
  lrScheduler: "cosine" | "linear" | "constant";
  maxGradNorm: number;
  maxSeqLen: number;
  /**
   * TRL's packing=True: text examples are joined with EOS and cut into blocks of exactly maxSeqLen tokens (no
   * truncation, no padding; a last partial block is dropped). Only for `{"text"}` datasets.
   */
  packing?: boolean;
  /** Caps the optimizer steps; otherwise nEpochs over the data. */
  maxSteps?: number;
  seed: number;
  /** Checkpoint folder: a checkpoint every `checkpointEvery` steps (and on abort) is written to checkpointDir/step-N. */
  checkpointDir?: string;
  checkpointEvery?: number;
  /** Also checkpoint at the end of each of the last n epochs (default 0). */
  epochCheckpoints?: number;
  /**
   * MiB of the activation cache (train/activation-cache.ts): the lowest layers' outputs per example once they are
   * entirely frozen, LoRA without dropout only; 0 switches it off. Default: the options' default.
   */
  activationCacheMb?: number;
  /** A checkpoint folder to resume from: weights, optimizer, GradES state, data position, RNG. */
  resumeFrom?: string;
  /** Compute backend (default "auto"). */
  backend?: BackendName;
  /**
   * Threads to compute with on wasm (default: every core): data-parallel replicas as far as a batch has rows,
   * the rest as wasm threads (parallel/threads.ts, threadPlan).
   */
  threads?: number;
  /**
   * Data-parallel replicas start only when the rest of the run, at its first steps' speed on one thread, takes at
   * least this many seconds (default 20, parallel/threads.ts), and stop again if they turn out no faster than one
   * thread (replicasKeepPaying); 0: from the first step, and kept.
   */
  replicaMinSeconds?: number;
  /** base_model_name_or_path written into adapter_config.json (default: the model folder's name). */
  baseModelName?: string;
}

export type StopReason = "max_steps" | "all_frozen" | "early_stopping" | "cancelled";

export type TrainEvent =
  | {
      type: "step";
      step: number;
      totalSteps: number;
      epoch: number;
      trainLoss: number;
      learningRate: number;
      tokensPerSecond: number;
      frozenFraction: number;
      tokens: number;
      /** Tracked components (frozen or not). */
      totalComponents?: number;
      /** G of each component measured at this step (not-yet-frozen ones, on measuring steps only). */
      metrics?: Record<string, number>;
    }
  | { type: "freeze"; step: number; component: string; metric: number }
  | { type: "eval"; step: number; validLoss: number }
  | { type: "checkpoint"; step: number; dir: string; trainLoss: number; validLoss?: number }
  | { type: "stop"; step: number; reason: StopReason };

export interface TrainHooks {
  /** Aborting checkpoints (when checkpointDir is set) and returns with stop reason "cancelled". */
  signal?: AbortSignal;
  /** Awaited: a slow consumer slows training rather than losing events. */
  onEvent?: (event: TrainEvent) => void | Promise<void>;
}

export interface ComponentSummary {
  name: string;
  frozenAtStep: number | null;
  lastMetric: number | null;
}

export interface TrainSummary {
  stopReason: StopReason;
  stepsCompleted: number;
  totalSteps: number;
  trainedTokens: number;
  finalTrainLoss: number | null;
  finalValidLoss: number | null;
  frozenFraction: number;
  components: ComponentSummary[];
  /** Metric history at a reduced cadence, for plots: per recorded step, each component's G (null once frozen). */
  history: {
    step: number;
    trainLoss: number;
    frozenFraction: number;
    metrics: Record<string, number | null>;
  }[];
  /** 1 - (weight-gradient matrix-steps computed / those a run without freezing would compute). */
  estimatedComputeSaved: number;
  backend: string;
  /** Latest checkpoint written (absent if none). */
  lastCheckpoint?: string;
}
