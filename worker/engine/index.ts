// The engine's public API: what the worker (and other programs) import.
export { initBackend } from "./backend.ts";
export { CheckpointError } from "./checkpoint/checkpoint.ts";
export { checkDatasetLines, DataFormatError, type Example, parseExampleLine } from "./data/formats.ts";
export {
  type ChoiceEvaluation,
  type ChoiceExample,
  type ChoiceRow,
  type ClassCounts,
  choiceLogLikelihoods,
  evaluateChoices,
  tallyPredictions,
} from "./eval/choices.ts";
export { type EvalChoicesOptions, evalChoicesFile } from "./eval/eval-file.ts";
export { PROJECTIONS, type Projection } from "./model/types.ts";
export type { FreezeMapInput } from "./plot/freeze-map.ts";
export { freezeMapSvg } from "./plot/lazy.ts";
export { type ScoreOptions, type ScoreResult, score } from "./train/score.ts";
export { checkTrainSpec, TrainSpecError } from "./train/spec-check.ts";
export { train } from "./train/train.ts";
export type {
  BackendName,
  ComponentSummary,
  EarlyStoppingOptions,
  GradesOptions,
  StopReason,
  TrainEvent,
  TrainHooks,
  TrainSpec,
  TrainSummary,
} from "./train/types.ts";
