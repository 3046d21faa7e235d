// The engine's public API: what the worker (and other programs) import.
export { initBackend } from "./backend.ts";
export { CheckpointError } from "./checkpoint/checkpoint.ts";
export { BlockFile, writeBlockFile } from "./data/block-file.ts";
export { checkDatasetLines, DataFormatError, type Example, parseExampleLine } from "./data/formats.ts";
export { BlockPacker, packExamples, packTextFile, readTextLines } from "./data/pack.ts";
export { readSafetensors, writeSafetensors } from "./io/safetensors.ts";
export { decodeContinuation, generateIds } from "./model/generate.ts";
export { initTinyModel } from "./model/init.ts";
export { loadModel } from "./model/loader.ts";
export { deriveSeed } from "./model/random.ts";
export { PROJECTIONS, type Projection } from "./model/types.ts";
export { parseSentencePieceVocab, sentencePieceToHfTokenizer } from "./tokenizer/sentencepiece-bpe.ts";
export { loadTokenizer } from "./tokenizer/tokenizer.ts";
export { evaluateLoss } from "./train/evaluate.ts";
export { type PretrainSpec, pretrain, pretrainSteps } from "./train/pretrain.ts";
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
