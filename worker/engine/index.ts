// The engine's public API: the only way into the engine for the worker, the API and other programs.
export { backendLabel, initBackend } from "./backend.ts";
export { CheckpointError } from "./checkpoint/checkpoint.ts";
export { registerEngineCommands } from "./cli/commands.ts";
export { describeError } from "./cli/errors.ts";
export { BlockFile, writeBlockFile } from "./data/block-file.ts";
export {
  checkDatasetLines,
  DataFormatError,
  type DatasetCheck,
  type Example,
  parseExampleLine,
} from "./data/formats.ts";
export { BlockPacker, packExamples, packTextFile, readTextLines } from "./data/pack.ts";
export { InputError } from "./errors.ts";
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
export { readSafetensors, SafetensorsError, writeSafetensors } from "./io/safetensors.ts";
export { pinOpenBlasCore } from "./kernels/openblas-core.ts";
export {
  type CheckModelFolderOptions,
  checkModelFolder,
  MODEL_FILE_PATTERN,
  ModelFolderError,
} from "./model/check-folder.ts";
export { ModelConfigError } from "./model/config.ts";
export { decodeContinuation, generateIds } from "./model/generate.ts";
export { initTinyModel } from "./model/init.ts";
export { loadModel, ModelLoadError } from "./model/loader.ts";
export { AdapterLoadError } from "./model/peft-adapter.ts";
export { deriveSeed } from "./model/random.ts";
export { PROJECTIONS, type Projection } from "./model/types.ts";
export type { FreezeMapInput } from "./plot/freeze-map.ts";
export { freezeMapSvg } from "./plot/lazy.ts";
export { parseSentencePieceVocab, sentencePieceToHfTokenizer } from "./tokenizer/sentencepiece-bpe.ts";
export { loadTokenizer, TokenizerLoadError } from "./tokenizer/tokenizer.ts";
export { evaluateLoss } from "./train/evaluate.ts";
export {
  BASE_LEARNING_RATE,
  checkTrainOptions,
  EarlyStoppingInput,
  GRACE_ALPHA,
  GradesInput,
  HyperparametersInput,
  LoraInput,
  modelTrainingDefaults,
  parseTrainOptions,
  type ResolvedHyperparameters,
  resolveAuto,
  resolveTrainOptions,
  TRAIN_DEFAULTS,
  TrainOptions,
  TrainOptionsInput,
  topLevelInputFields,
} from "./train/options.ts";
export { type PretrainSpec, pretrain, pretrainSteps } from "./train/pretrain.ts";
export { type ScoreOptions, type ScoreResult, score } from "./train/score.ts";
export { TrainSpecError } from "./train/spec-error.ts";
export { checkTrainSpec, type RunSettings, trainSpecFrom } from "./train/spec-options.ts";
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
