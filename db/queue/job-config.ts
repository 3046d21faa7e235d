// A job's training configuration as stored in `fine_tuning_jobs.config`: the engine's resolved training options
// (the create request with every "auto" resolved and every default filled in). The engine's schema owns them;
// parseJobConfig reads a stored value into that type, filling in options added after the job was created.
export {
  parseTrainOptions as parseJobConfig,
  type ResolvedHyperparameters,
  TrainOptions as JobConfig,
} from "../../worker/engine/index.ts";
