// Checks a TrainSpec before any work starts; the error names the field.
import { PROJECTIONS } from "../model/types.ts";
import type { TrainSpec } from "./types.ts";

export class TrainSpecError extends Error {
  override name = "TrainSpecError";
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

function positiveInt(field: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new TrainSpecError(field, `must be a positive integer, got ${v}`);
}

function inRange(field: string, v: number, lo: number, hi: number): void {
  if (!(v >= lo && v <= hi)) throw new TrainSpecError(field, `must be in [${lo}, ${hi}], got ${v}`);
}

export function checkTrainSpec(spec: TrainSpec): void {
  positiveInt("nEpochs", spec.nEpochs);
  positiveInt("batchSize", spec.batchSize);
  positiveInt("gradientAccumulationSteps", spec.gradientAccumulationSteps);
  positiveInt("maxSeqLen", spec.maxSeqLen);
  if (spec.maxSeqLen < 2) throw new TrainSpecError("maxSeqLen", "must be at least 2");
  if (spec.maxSteps !== undefined) positiveInt("maxSteps", spec.maxSteps);
  if (!(spec.learningRate > 0))
    throw new TrainSpecError("learningRate", `must be positive, got ${spec.learningRate}`);
  if (!(spec.weightDecay >= 0))
    throw new TrainSpecError("weightDecay", `must be >= 0, got ${spec.weightDecay}`);
  inRange("warmupRatio", spec.warmupRatio, 0, 1);
  if (!(spec.maxGradNorm >= 0)) throw new TrainSpecError("maxGradNorm", `must be >= 0 (0 disables clipping)`);
  if (!["cosine", "linear", "constant"].includes(spec.lrScheduler)) {
    throw new TrainSpecError("lrScheduler", `must be cosine, linear or constant, got ${spec.lrScheduler}`);
  }
  if (spec.trainingType !== "lora" && spec.trainingType !== "full") {
    throw new TrainSpecError("trainingType", `must be lora or full, got ${spec.trainingType}`);
  }
  const targets = spec.lora.targetModules;
  if (targets.length === 0) throw new TrainSpecError("lora.targetModules", "must not be empty");
  for (const t of targets) {
    if (!PROJECTIONS.includes(t))
      throw new TrainSpecError("lora.targetModules", `unknown module ${JSON.stringify(t)}`);
  }
  if (spec.trainingType === "lora") {
    positiveInt("lora.r", spec.lora.r);
    if (!(spec.lora.alpha > 0)) throw new TrainSpecError("lora.alpha", "must be positive");
    if (!(spec.lora.dropout >= 0 && spec.lora.dropout < 1))
      throw new TrainSpecError("lora.dropout", "must be in [0, 1)");
  }
  const g = spec.grades;
  if (g.enabled) {
    if (!(g.tau >= 0)) throw new TrainSpecError("grades.tau", `must be >= 0, got ${g.tau}`);
    inRange("grades.alpha", g.alpha, 0, 1);
    positiveInt("grades.interval", g.interval);
    if (!(g.maxFrozenRatio > 0 && g.maxFrozenRatio <= 1)) {
      throw new TrainSpecError("grades.maxFrozenRatio", `must be in (0, 1], got ${g.maxFrozenRatio}`);
    }
    if (g.metric !== "grad_change" && g.metric !== "weight_change") {
      throw new TrainSpecError("grades.metric", `must be grad_change or weight_change, got ${g.metric}`);
    }
    if (g.normalize !== "sum" && g.normalize !== "mean") {
      throw new TrainSpecError("grades.normalize", `must be sum or mean, got ${g.normalize}`);
    }
    if (
      g.relativeReference !== undefined &&
      g.relativeReference !== "grace_end" &&
      g.relativeReference !== "peak"
    ) {
      throw new TrainSpecError(
        "grades.relativeReference",
        `must be grace_end or peak, got ${g.relativeReference}`,
      );
    }
    if (g.smoothing !== undefined && !(g.smoothing >= 0 && g.smoothing < 1)) {
      throw new TrainSpecError("grades.smoothing", `must be in [0, 1), got ${g.smoothing}`);
    }
    if (g.relativeTau !== undefined && !(g.relativeTau > 0)) {
      throw new TrainSpecError("grades.relativeTau", `must be positive, got ${g.relativeTau}`);
    }
  }
  if (spec.earlyStopping) {
    if (!spec.validationFile) throw new TrainSpecError("earlyStopping", "needs a validation file");
    positiveInt("earlyStopping.patience", spec.earlyStopping.patience);
    positiveInt("earlyStopping.evalInterval", spec.earlyStopping.evalInterval);
  }
  if (spec.checkpointEvery !== undefined) positiveInt("checkpointEvery", spec.checkpointEvery);
  if (!Number.isInteger(spec.seed)) throw new TrainSpecError("seed", `must be an integer, got ${spec.seed}`);
}
