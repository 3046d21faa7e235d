// Maps a job's stored configuration onto the engine's TrainSpec, through the engine's own options-to-spec
// mapping (the one `grades train` uses too).
import { type JobConfig, parseJobConfig } from "../db/queue/job-config.ts";
import { type BackendName, type TrainSpec, trainSpecFrom } from "./engine/index.ts";

export interface SpecPaths {
  modelDir: string;
  trainFile: string;
  validationFile?: string | undefined;
  outputDir: string;
  checkpointDir: string;
  resumeFrom?: string | undefined;
}

export function trainSpecFor(
  config: JobConfig,
  seed: number,
  paths: SpecPaths,
  backend: BackendName,
  baseModelName: string,
): TrainSpec {
  return trainSpecFrom(parseJobConfig(config), { ...paths, seed, backend, baseModelName });
}
