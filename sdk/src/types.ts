// Names for the generated OpenAPI types: the objects the API returns and the bodies and queries it accepts.
// Everything here is derived from src/generated/openapi.ts; nothing restates a field.
import type { components, paths } from "./generated/openapi.ts";

type Schemas = components["schemas"];
type Query<P extends keyof paths, M extends "get"> = paths[P][M] extends { parameters: { query?: infer Q } }
  ? NonNullable<Q>
  : never;

export type FileObject = Schemas["File"];
export type FileDeleted = Schemas["FileDeleted"];
export type FilePurpose = Schemas["CreateUpload"]["purpose"];
export type FileListParams = Query<"/v1/files", "get">;

/**
 * The generator renders the API's nullable `file` reference as `File & (Record<string, never> | null)`;
 * this restores what the schema says: a file, or null until the upload completes.
 */
export type Upload = Omit<Schemas["Upload"], "file"> & { file: FileObject | null };
export type UploadPart = Schemas["UploadPart"];
export type UploadCreateParams = Schemas["CreateUpload"];
export type UploadCompleteParams = Schemas["CompleteUpload"];

export type Model = Schemas["Model"];
export type ModelDeleted = Schemas["ModelDeleted"];
export type ModelRegisterParams = Schemas["RegisterModel"];

export type FineTuningJob = Schemas["FineTuningJob"];
export type FineTuningJobStatus = FineTuningJob["status"];
export type FineTuningJobEvent = Schemas["FineTuningJobEvent"];
export type FineTuningJobCheckpoint = Schemas["FineTuningJobCheckpoint"];
export type FineTuningJobGrades = Schemas["FineTuningJobGrades"];
export type JobCreateParams = Schemas["CreateFineTuningJobRequest"];
export type LoraOptions = Schemas["LoraOptions"];
export type GradesOptions = Schemas["GradesOptions"];
export type EarlyStoppingOptions = Schemas["EarlyStoppingOptions"];
export type Hyperparameters = Schemas["FineTuningHyperparameters"];
export type JobListParams = Query<"/v1/fine_tuning/jobs", "get"> & {
  /** Only jobs whose metadata has these keys and values (`metadata[key]=value`). */
  metadata?: Record<string, string>;
};
export type JobListEventsParams = Query<"/v1/fine_tuning/jobs/{fine_tuning_job_id}/events", "get">;
export type CheckpointListParams = Query<"/v1/fine_tuning/jobs/{fine_tuning_job_id}/checkpoints", "get">;

export type ErrorObject = Schemas["Error"]["error"];

export type { components, paths };
