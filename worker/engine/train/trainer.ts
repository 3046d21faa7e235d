// One training run: LoRA or full fine-tuning with AdamW, GradES freezing and optional validation-loss early
// stopping. Each optimizer step differentiates only the non-frozen components' variables, and reads the host
// once: the loss, the gradient norm and every GradES metric are packed into one tensor.
import { basename, join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import {
  CHECKPOINT_VERSION,
  CheckpointError,
  type CheckpointTensors,
  loadCheckpoint,
  saveCheckpoint,
  type TrainerState,
} from "../checkpoint/checkpoint.ts";
import {
  type Batch,
  type BatchSource,
  type BatchSourceFactory,
  BatchStream,
  sequentialBatches,
} from "../data/batches.ts";
import type { LoadedDataset } from "../data/dataset.ts";
import { splitRows } from "../data/split-rows.ts";
import { writeHfModel } from "../export/hf-model.ts";
import { writePeftAdapter } from "../export/peft-adapter.ts";
import { writeSummary } from "../export/summary.ts";
import { addShared } from "../kernels/add-shared.ts";
import type { CausalLM, Component, ForwardOptions } from "../model/types.ts";
import { ReplicaPool } from "../parallel/replicas.ts";
import {
  REPLICA_CHECK_STEPS,
  REPLICA_PROBE_STEPS,
  replicasKeepPaying,
  replicasPayOff,
} from "../parallel/threads.ts";
import { ActivationCache } from "./activation-cache.ts";
import { AdamW } from "./adamw.ts";
import { clipFactor } from "./clip.ts";
import { evaluateLoss } from "./evaluate.ts";
import { activationCacheExclusion, frozenPrefixLayers } from "./frozen-prefix.ts";
import { type FreezeDecision, GradesController, type PendingMeasurement } from "./grades.ts";
import { type MicroBatchGradients, microBatchGradients } from "./micro-batch.ts";
import { TRAIN_DEFAULTS } from "./options.ts";
import { Rng } from "./rng.ts";
import { type LrSchedule, learningRateAt, warmupStepsFor } from "./schedule.ts";
import { makeTrainable, trainableVariables } from "./trainable.ts";
import type { StopReason, TrainEvent, TrainHooks, TrainSpec, TrainSummary } from "./types.ts";
import { averageStartStep, averagesOutputs, WeightAverage, weightAverageDecay } from "./weight-average.ts";

/** Weights Hugging Face's Trainer exempts from weight decay: norms and biases. */
const NO_DECAY = /(norm\.weight|\.bias)$/;

/** Aim for about this many points in the summary's metric history. */
const HISTORY_POINTS = 200;

export interface StepResult {
  step: number;
  loss: number;
  gradNorm: number;
  learningRate: number;
  tokens: number;
  seconds: number;
  frozen: FreezeDecision[];
  /** G of each component measured at this step; undefined when GradES did not measure. */
  metrics: Record<string, number> | undefined;
}

export interface TrainerInput {
  spec: TrainSpec;
  model: CausalLM;
  /** Examples (shuffled and length-grouped batches) or a batch source of its own (packed blocks on disk). */
  train: LoadedDataset | BatchSourceFactory;
  validation?: LoadedDataset | Batch[];
  padId: number;
  backend: string;
  /**
   * Data-parallel replica threads besides this one, and each one's wasm thread count (parallel/replicas.ts;
   * default none). They load the model from spec.modelDir and start once the run's first steps, computed
   * alone, show that the rest of it takes at least `minSeconds` (default REPLICA_MIN_SECONDS; 0: at once).
   */
  replicas?: { count: number; threads: number; minSeconds?: number };
}

export class Trainer {
  readonly components: Component[];
  readonly grades: GradesController;
  readonly optimizer: AdamW;
  readonly totalSteps: number;
  private readonly stepsPerEpoch: number;
  readonly schedule: LrSchedule;
  step = 0;
  private readonly spec: TrainSpec;
  private readonly model: CausalLM;
  private readonly keys: Map<string, string[]>;
  private readonly rng: Rng;
  /**
   * Full fine-tuning: the weights outside the tracked projections (embeddings, norms, lm_head, biases), trained
   * as Hugging Face's Trainer trains every parameter. GradES neither measures nor freezes them.
   */
  readonly untracked: { name: string; variable: tf.Variable }[];
  private readonly makeStream: BatchSourceFactory;
  private stream: BatchSource;
  private readonly validBatches: Batch[] | undefined;
  private readonly historyEvery: number;
  private trainedTokens = 0;
  private computedMatrixSteps = 0;
  private history: TrainSummary["history"] = [];
  private lastTrainLoss: number | null = null;
  private lastValidLoss: number | null = null;
  private lastValidStep = -1;
  private bestValidLoss: number | null = null;
  private evalsWithoutImprovement = 0;
  private lastCheckpoint: string | undefined;
  private lastCheckpointStep = -1;
  /** The lowest layers' outputs per example, once they are entirely frozen; absent where it cannot apply. */
  readonly activationCache: ActivationCache | undefined;
  /** Why this run has no activation cache (undefined when it has one). */
  readonly activationCacheExclusion: string | undefined;
  private readonly cacheShareBytes: number;
  /** The weights' moving average the outputs are written with (grades.weightAverage); absent without it. */
  readonly weightAverage: WeightAverage | undefined;
  /** The first step the average takes in (averageStartStep). */
  private readonly averageFrom: number;
  private pool: Promise<ReplicaPool> | undefined;
  /** Steps computed alone while the run has not decided on its replicas, and the last one's time and tokens. */
  private solo = { steps: 0, seconds: 0, tokens: 0 };
  /** Seconds per token of the steps computed with replicas; undefined once the run has checked that they pay. */
  private replicaCheck: number[] | undefined = [];
  private replicasDeclined = false;

  constructor(private readonly input: TrainerInput) {
    const { spec, model } = input;
    this.spec = spec;
    this.model = model;
    const trainable = makeTrainable(model, spec);
    this.components = trainable.components;
    this.keys = trainable.keys;
    this.untracked = trainable.untracked;
    const train = input.train;
    this.makeStream =
      typeof train === "function"
        ? train
        : (start) => new BatchStream(train.examples, spec.batchSize, spec.seed, input.padId, start);
    this.stream = this.makeStream();
    this.stepsPerEpoch = Math.ceil(this.stream.batchesPerEpoch / spec.gradientAccumulationSteps);
    this.totalSteps = spec.maxSteps ?? Math.max(1, spec.nEpochs * this.stepsPerEpoch);
    this.schedule = {
      baseLr: spec.learningRate,
      warmupSteps: warmupStepsFor(spec.warmupRatio, this.totalSteps),
      totalSteps: this.totalSteps,
      kind: spec.lrScheduler,
    };
    this.grades = new GradesController(
      this.components.map((c) => ({ name: c.name, size: c.variables.reduce((n, v) => n + v.size, 0) })),
      spec.grades,
      this.totalSteps,
    );
    this.optimizer = new AdamW({ weightDecay: spec.weightDecay });
    const decay = weightAverageDecay(spec.grades);
    this.weightAverage = decay === undefined ? undefined : new WeightAverage(decay);
    this.averageFrom =
      decay === undefined ? Number.POSITIVE_INFINITY : averageStartStep(this.grades.graceSteps, decay);
    this.rng = new Rng(spec.seed ^ 0x5bd1e995);
    const validation = input.validation;
    this.validBatches =
      validation === undefined || Array.isArray(validation)
        ? validation
        : sequentialBatches(validation.examples, spec.batchSize, input.padId);
    this.historyEvery = Math.max(1, Math.ceil(this.totalSteps / HISTORY_POINTS));
    const limitBytes = Math.floor((spec.activationCacheMb ?? TRAIN_DEFAULTS.activation_cache_mb) * 2 ** 20);
    this.activationCacheExclusion =
      activationCacheExclusion(spec, limitBytes) ??
      (model.layerOutput ? undefined : "the model cannot start above its lowest layers");
    // The limit holds for the run: each replica keeps the entries of the rows it computes, in its share.
    this.cacheShareBytes = Math.floor(limitBytes / (1 + (input.replicas?.count ?? 0)));
    this.activationCache =
      this.activationCacheExclusion === undefined
        ? new ActivationCache(this.cacheShareBytes, model.config.hidden_size)
        : undefined;
  }

  private trainableVariables() {
    return trainableVariables({ components: this.components, keys: this.keys, untracked: this.untracked });
  }

  /** The replica pool once the run has decided it pays (see TrainerInput.replicas); undefined until then. */
  private replicaPool(): Promise<ReplicaPool> | undefined {
    if (this.pool) return this.pool;
    const { count, threads, minSeconds } = this.input.replicas ?? { count: 0, threads: 1 };
    if (count === 0 || this.replicasDeclined) return undefined;
    if (minSeconds !== 0) {
      if (this.solo.steps < REPLICA_PROBE_STEPS) return undefined;
      if (!replicasPayOff(this.solo.seconds, this.totalSteps - this.step, minSeconds)) {
        this.replicasDeclined = true;
        return undefined;
      }
    }
    this.pool = ReplicaPool.start({
      modelDir: this.spec.modelDir,
      spec: this.spec,
      variables: this.trainableVariables(),
      count,
      threads,
      activationCacheBytes: this.activationCache ? this.cacheShareBytes : 0,
    });
    return this.pool;
  }

  /**
   * Records a step's seconds per token for the replica decisions: alone, the probe; with replicas, the check
   * that they are faster than one thread (parallel/threads.ts, replicasKeepPaying), after which a run whose
   * replicas do not pay stops them and goes on alone. A run that asked for them at once (minSeconds 0) keeps them.
   */
  private timeStep(seconds: number, tokens: number): void {
    if (!this.pool) {
      this.solo = { steps: this.solo.steps + 1, seconds, tokens };
      return;
    }
    if (this.input.replicas?.minSeconds === 0 || !this.replicaCheck) return;
    this.replicaCheck.push(seconds / Math.max(1, tokens));
    if (this.replicaCheck.length <= REPLICA_CHECK_STEPS) return;
    // The first step with replicas includes their start.
    const solo = this.solo.seconds / Math.max(1, this.solo.tokens);
    const pays = replicasKeepPaying(solo, this.replicaCheck.slice(1));
    this.replicaCheck = undefined;
    if (pays) return;
    const pool = this.pool;
    this.pool = undefined;
    this.replicasDeclined = true;
    void pool.then(
      (p) => p.dispose(),
      () => {},
    );
  }

  /**
   * One micro-batch's gradient: with replicas, its rows split between this thread and them, and their shares
   * added to this thread's in replica order. `last`: the step's last micro-batch.
   */
  private async gradients(
    batch: Batch,
    vars: tf.Variable[],
    keys: string[],
    targets: number,
    cachedLayers: number,
    opts: ForwardOptions & { dropoutSeed: number },
    last: boolean,
  ): Promise<MicroBatchGradients> {
    const pool = await this.replicaPool();
    const parts = pool ? splitRows(batch, pool.size + 1) : [batch];
    // After the step's last micro-batch the replicas wait for the optimizer's weights (ReplicaPool.updated).
    const remote = pool?.compute(parts.slice(1), keys, targets, cachedLayers, opts.dropoutSeed, last);
    // Awaited below, after this thread's share; until then a failure must not count as unhandled.
    remote?.catch(() => {});
    const own = await microBatchGradients(
      this.model,
      this.activationCache,
      parts[0]!,
      vars,
      targets,
      cachedLayers,
      opts,
    );
    if (!pool || !remote) return own;
    let losses: number[];
    try {
      losses = await remote;
    } catch (err) {
      tf.dispose([own.value, ...own.grads]);
      throw err;
    }
    const squares = new Float64Array(1);
    const summed = tf.tidy(() => ({
      value: tf.add(
        own.value,
        losses.reduce((a, b) => a + b, 0),
      ) as tf.Scalar,
      // Written over this thread's gradients where their buffers are theirs alone: they are dropped below.
      grads: own.grads.map((g, i) =>
        addShared(
          g,
          losses.map((_, r) => pool.gradientsOf(r, keys[i]!)),
          squares,
        ),
      ),
    }));
    tf.dispose([own.value, ...own.grads]);
    return { ...summed, sumSquares: squares[0]! };
  }

  /** The lowest layers whose forward pass the activation cache may skip this step (0: none). */
  private cachedLayers(): number {
    if (!this.activationCache) return 0;
    return frozenPrefixLayers(
      this.components,
      (name) => this.grades.isFrozen(name),
      this.model.config.num_hidden_layers,
    );
  }

  private activeComponents(): Component[] {
    return this.components.filter((c) => !this.grades.isFrozen(c.name));
  }

  get frozenFraction(): number {
    return this.grades.frozenFraction;
  }

  /** Freezes a component now, outside GradES's decisions (benchmarks, tests). */
  freezeNow(name: string): void {
    this.grades.forceFreeze(name, this.step);
    this.freeze(name);
  }

  /** Frees a frozen component's optimizer state; it is no longer among the differentiated variables. */
  private freeze(name: string): void {
    for (const key of this.keys.get(name) ?? []) this.optimizer.release(key);
  }

  /** One optimizer step over `gradientAccumulationSteps` micro-batches. */
  async trainStep(): Promise<StepResult> {
    const started = performance.now();
    const spec = this.spec;
    const active = this.activeComponents();
    // Tracked components first: GradES reads its gradients from the front of the list.
    const vars = [...active.flatMap((c) => c.variables), ...this.untracked.map((u) => u.variable)];
    const keys = [...active.flatMap((c) => this.keys.get(c.name)!), ...this.untracked.map((u) => u.name)];
    const batches = Array.from({ length: spec.gradientAccumulationSteps }, () => this.stream.next());
    const targets = batches.reduce((n, b) => n + b.targets, 0);
    const tokens = batches.reduce((n, b) => n + b.tokens, 0);
    let loss: tf.Scalar | undefined;
    let grads: tf.Tensor[] | undefined;
    // Known when one micro-batch's replicas' sum computed it; a sum over micro-batches is read again.
    let sumSquares: number | undefined;
    const cachedLayers = this.cachedLayers();
    for (const [i, batch] of batches.entries()) {
      const dropoutSeed = this.rng.nextUint32();
      const opts = { training: true, dropoutSeed };
      const last = i === batches.length - 1;
      const {
        value,
        grads: g,
        ...rest
      } = await this.gradients(batch, vars, keys, targets, cachedLayers, opts, last);
      if (batches.length === 1) sumSquares = rest.sumSquares;
      if (!grads || !loss) {
        grads = g;
        loss = value;
      } else {
        const prevGrads: tf.Tensor[] = grads;
        const prevLoss: tf.Scalar = loss;
        grads = tf.tidy(() => prevGrads.map((a, i) => tf.add(a, g[i]!)));
        loss = tf.tidy(() => tf.add(prevLoss, value) as tf.Scalar);
        tf.dispose([...prevGrads, ...g, prevLoss, value]);
      }
    }
    const stepNo = this.step + 1;
    const lr = learningRateAt(this.schedule, this.step);
    const grouped = (tensors: tf.Tensor[]) => {
      const out = new Map<string, tf.Tensor[]>();
      let k = 0;
      for (const c of active) {
        out.set(c.name, tensors.slice(k, k + c.variables.length));
        k += c.variables.length;
      }
      return out;
    };
    let pending: PendingMeasurement | null = null;
    const weightChange = this.grades.opts.metric === "weight_change";
    if (!weightChange && this.grades.needsTensorsAt(stepNo))
      pending = this.grades.measure(stepNo, grouped(grads!));
    if (weightChange && this.grades.measuresAt(stepNo)) this.grades.holdPrevious(stepNo - 1, grouped(vars));
    const { norm, scale } = clipFactor(grads!, spec.maxGradNorm, sumSquares);
    let k = 0;
    const updates = [
      ...active.flatMap((c) =>
        c.variables.map((variable, i) => ({
          key: this.keys.get(c.name)![i]!,
          variable,
          grad: grads![k++]!,
        })),
      ),
      ...this.untracked.map((u) => ({
        key: u.name,
        variable: u.variable,
        grad: grads![k++]!,
        decay: !NO_DECAY.test(u.name),
      })),
    ];
    // Each weight goes to the replicas as soon as it is written.
    const pool = this.pool ? await this.pool : undefined;
    this.optimizer.apply(updates, lr, scale, pool);
    pool?.endStream();
    tf.dispose([...grads!, ...(scale ? [scale] : [])]);
    if (weightChange && this.grades.needsTensorsAt(stepNo))
      pending = this.grades.measure(stepNo, grouped(vars));

    // The step's one host read.
    const packed = tf.tidy(() =>
      tf.concat([tf.reshape(loss!, [1]), tf.reshape(norm, [1]), ...(pending ? [pending.values] : [])]),
    );
    tf.dispose([loss!, norm]);
    if (pending) pending.values.dispose();
    const host = await packed.data();
    packed.dispose();
    const measured = pending?.names.map((name, k): [string, number] => [name, host[2 + k]!]);
    const frozen = pending ? this.grades.decide(pending, host.subarray(2)) : [];
    for (const f of frozen) this.freeze(f.name);

    this.step = stepNo;
    if (this.weightAverage && stepNo >= this.averageFrom)
      this.weightAverage.update(this.trainableVariables());
    this.timeStep((performance.now() - started) / 1000, tokens);
    this.computedMatrixSteps += active.length;
    this.trainedTokens += tokens;
    this.lastTrainLoss = host[0]!;
    return {
      step: stepNo,
      loss: host[0]!,
      gradNorm: host[1]!,
      learningRate: lr,
      tokens,
      seconds: (performance.now() - started) / 1000,
      frozen,
      metrics: measured ? Object.fromEntries(measured) : undefined,
    };
  }

  async evaluate(): Promise<number | null> {
    if (!this.validBatches) return null;
    const { loss } = await evaluateLoss(this.model, this.validBatches);
    this.lastValidLoss = loss;
    this.lastValidStep = this.step;
    return loss;
  }

  private recordHistory(force = false): void {
    const last = this.history[this.history.length - 1];
    if (last?.step === this.step) return;
    if (!force && this.step % this.historyEvery !== 0) return;
    const metrics: Record<string, number | null> = {};
    for (const c of this.components)
      metrics[c.name] = this.grades.isFrozen(c.name) ? null : this.grades.metricOf(c.name);
    this.history.push({
      step: this.step,
      trainLoss: this.lastTrainLoss ?? Number.NaN,
      frozenFraction: this.grades.frozenFraction,
      metrics,
    });
  }

  private state(): TrainerState {
    return {
      version: CHECKPOINT_VERSION,
      step: this.step,
      totalSteps: this.totalSteps,
      trainingType: this.spec.trainingType,
      components: this.components.map((c) => c.name),
      data: this.stream.position,
      rng: this.rng.state,
      grades: this.grades.exportState(),
      optimizerSteps: this.optimizer.exportState().steps,
      trainedTokens: this.trainedTokens,
      computedMatrixSteps: this.computedMatrixSteps,
      history: this.history,
      lastTrainLoss: this.lastTrainLoss,
      lastValidLoss: this.lastValidLoss,
      bestValidLoss: this.bestValidLoss,
      evalsWithoutImprovement: this.evalsWithoutImprovement,
    };
  }

  private baseModelName(): string {
    return this.spec.baseModelName ?? basename(this.spec.modelDir);
  }

  /** Writes checkpointDir/step-N and returns its path. */
  async checkpoint(): Promise<string> {
    const root = this.spec.checkpointDir;
    if (!root) throw new Error("no checkpointDir set");
    const dir = join(root, `step-${this.step}`);
    const trainable = new Map<string, tf.Tensor>(
      this.trainableVariables().map(({ key, variable }) => [key, variable]),
    );
    const tensors: CheckpointTensors = {
      trainable,
      optimizer: this.optimizer.exportState().tensors,
      gradesPrev: this.grades.prevTensors(),
      averages: this.weightAverage?.tensors() ?? new Map(),
    };
    const lora = this.model.lora;
    // The adapter is what a stop here would write; the trained weights above are what a resumed run needs.
    await saveCheckpoint(dir, this.state(), tensors, async (tmp) => {
      if (lora)
        await this.withAverages(() => writePeftAdapter(tmp, this.components, lora, this.baseModelName()));
    });
    this.lastCheckpoint = dir;
    this.lastCheckpointStep = this.step;
    return dir;
  }

  /** Continues from a checkpoint: weights, optimizer moments, GradES state, data position, RNG, counters. */
  async restore(dir: string): Promise<void> {
    const ck = await loadCheckpoint(dir);
    const s = ck.state;
    if (s.trainingType !== this.spec.trainingType) {
      throw new CheckpointError(
        `checkpoint is for ${s.trainingType} training, this run is ${this.spec.trainingType}`,
      );
    }
    // The grace period floor(alpha * total), the learning-rate schedule and the compute-saved estimate all
    // depend on the step budget: continuing with another one would silently change them.
    if (s.totalSteps !== this.totalSteps) {
      throw new CheckpointError(
        `checkpoint belongs to a run of ${s.totalSteps} steps, this run has ${this.totalSteps} (same data, batch size, epochs and max steps needed)`,
      );
    }
    const names = this.components.map((c) => c.name);
    if (s.components.join("\n") !== names.join("\n")) {
      throw new CheckpointError(
        "checkpoint's trained components differ from this run's (target modules or layers)",
      );
    }
    const restored = this.trainableVariables();
    if (this.pool) (await this.pool).markUpdated(restored.map((r) => r.key));
    for (const { key, variable: v } of restored) {
      const t = ck.trainable.get(key);
      if (!t) throw new CheckpointError(`checkpoint misses trainable tensor ${key}`);
      if (t.shape.join(",") !== v.shape.join(",")) {
        throw new CheckpointError(
          `checkpoint tensor ${key} has shape [${t.shape}], the model needs [${v.shape}]`,
        );
      }
      tf.tidy(() => v.assign(tf.tensor(t.data, t.shape)));
    }
    const toTensors = (m: typeof ck.optimizer) =>
      new Map([...m].map(([k, t]) => [k, tf.keep(tf.tensor(t.data, t.shape))] as const));
    this.optimizer.importState(toTensors(ck.optimizer), s.optimizerSteps);
    this.grades.importState(s.grades, toTensors(ck.gradesPrev));
    // A checkpoint of a run without the average (or of its grace period) has none: it starts at the next step.
    this.weightAverage?.importTensors(toTensors(ck.averages));
    this.stream = this.makeStream(s.data);
    this.rng.state = s.rng;
    this.step = s.step;
    this.trainedTokens = s.trainedTokens;
    this.computedMatrixSteps = s.computedMatrixSteps;
    this.history = s.history;
    this.lastTrainLoss = s.lastTrainLoss;
    this.lastValidLoss = s.lastValidLoss;
    this.bestValidLoss = s.bestValidLoss;
    this.evalsWithoutImprovement = s.evalsWithoutImprovement;
    this.lastCheckpoint = dir;
    this.lastCheckpointStep = s.step;
  }

  summary(stopReason: StopReason): TrainSummary {
    const n = this.components.length;
    // A cancelled run is compared with the steps it did; a run stopped early with the budget it would have used.
    const budgetSteps = stopReason === "cancelled" ? this.step : this.totalSteps;
    const possible = n * budgetSteps;
    return {
      stopReason,
      stepsCompleted: this.step,
      totalSteps: this.totalSteps,
      trainedTokens: this.trainedTokens,
      finalTrainLoss: this.lastTrainLoss,
      finalValidLoss: this.lastValidLoss,
      frozenFraction: this.grades.frozenFraction,
      components: this.components.map((c) => ({
        name: c.name,
        frozenAtStep: this.grades.frozenStep(c.name),
        lastMetric: this.grades.metricOf(c.name),
      })),
      history: this.history,
      estimatedComputeSaved: possible > 0 ? Math.max(0, 1 - this.computedMatrixSteps / possible) : 0,
      backend: `${this.input.backend}${this.pool ? ` x ${(this.input.replicas?.count ?? 0) + 1} data-parallel replicas` : ""}`,
      ...(this.lastCheckpoint ? { lastCheckpoint: this.lastCheckpoint } : {}),
    };
  }

  /** Runs `write` with the weights' averages in place of the trained weights, where the run keeps them. */
  private withAverages<T>(write: () => Promise<T>): Promise<T> {
    return this.weightAverage ? this.weightAverage.withAverages(this.trainableVariables(), write) : write();
  }

  /**
   * Writes the adapter (LoRA) or model folder (full) into outputDir. A run GradES stopped (`all_frozen`) writes
   * the weights' average where it keeps one (averagesOutputs); any other run its last step's weights.
   */
  async writeOutputs(stopReason?: StopReason): Promise<void> {
    const lora = this.model.lora;
    const write = () =>
      lora
        ? writePeftAdapter(this.spec.outputDir, this.components, lora, this.baseModelName())
        : writeHfModel(this.spec.outputDir, this.model, this.spec.modelDir);
    await (stopReason && averagesOutputs(stopReason) ? this.withAverages(write) : write());
  }

  /** Trains until max steps, all frozen, early stopping or abort; writes outputs; returns the summary. */
  async run(hooks: TrainHooks = {}): Promise<TrainSummary> {
    const emit = async (e: TrainEvent) => {
      if (hooks.onEvent) await hooks.onEvent(e);
    };
    const spec = this.spec;
    const evalInterval = spec.earlyStopping?.evalInterval;
    let reason: StopReason | undefined;
    while (!reason) {
      if (hooks.signal?.aborted) reason = "cancelled";
      else if (this.grades.shouldStop()) reason = "all_frozen";
      else if (this.step >= this.totalSteps) reason = "max_steps";
      if (reason) break;

      const r = await this.trainStep();
      for (const f of r.frozen)
        await emit({ type: "freeze", step: f.step, component: f.name, metric: f.metric });
      await emit({
        type: "step",
        step: r.step,
        totalSteps: this.totalSteps,
        epoch: this.stream.epochProgress,
        trainLoss: r.loss,
        learningRate: r.learningRate,
        tokensPerSecond: r.seconds > 0 ? r.tokens / r.seconds : 0,
        frozenFraction: this.grades.frozenFraction,
        tokens: r.tokens,
        totalComponents: this.components.length,
        ...(r.metrics ? { metrics: r.metrics } : {}),
      });
      this.recordHistory(r.frozen.length > 0);

      if (evalInterval && this.step % evalInterval === 0) {
        const validLoss = (await this.evaluate())!;
        await emit({ type: "eval", step: this.step, validLoss });
        const es = spec.earlyStopping!;
        if (this.bestValidLoss === null || validLoss < this.bestValidLoss - es.minDelta) {
          this.bestValidLoss = validLoss;
          this.evalsWithoutImprovement = 0;
        } else if (++this.evalsWithoutImprovement >= es.patience) {
          reason = "early_stopping";
        }
      }
      if (spec.checkpointDir && (this.isEvery(spec.checkpointEvery) || this.endsLastEpochs())) {
        await this.emitCheckpoint(emit);
      }
    }
    if (
      reason === "cancelled" &&
      spec.checkpointDir &&
      this.lastCheckpointStep !== this.step &&
      this.step > 0
    ) {
      await this.emitCheckpoint(emit);
    }
    if (this.validBatches && this.lastValidStep !== this.step && reason !== "cancelled") {
      const validLoss = (await this.evaluate())!;
      await emit({ type: "eval", step: this.step, validLoss });
    }
    this.recordHistory(true);
    await this.writeOutputs(reason);
    const summary = this.summary(reason);
    await writeSummary(spec.outputDir, summary);
    await emit({ type: "stop", step: this.step, reason });
    return summary;
  }

  private isEvery(interval: number | undefined): boolean {
    return interval !== undefined && this.step % interval === 0;
  }

  /** The end of one of the last `epochCheckpoints` epochs (as OpenAI keeps); the last step ends the last one. */
  private endsLastEpochs(): boolean {
    const n = this.spec.epochCheckpoints ?? 0;
    const endsEpoch = this.step % this.stepsPerEpoch === 0 || this.step === this.totalSteps;
    const epoch = Math.ceil(this.step / this.stepsPerEpoch);
    return n > 0 && endsEpoch && epoch > Math.ceil(this.totalSteps / this.stepsPerEpoch) - n;
  }

  private async emitCheckpoint(emit: (e: TrainEvent) => Promise<void>): Promise<void> {
    const dir = await this.checkpoint();
    await emit({
      type: "checkpoint",
      step: this.step,
      dir,
      trainLoss: this.lastTrainLoss ?? Number.NaN,
      ...(this.lastValidStep === this.step && this.lastValidLoss !== null
        ? { validLoss: this.lastValidLoss }
        : {}),
    });
  }

  dispose(): void {
    this.optimizer.dispose();
    this.grades.dispose();
    this.weightAverage?.dispose();
    // Terminating a thread cannot fail in a way the caller could act on.
    void this.pool?.then(
      (p) => p.dispose(),
      () => {},
    );
  }
}
