import type { PagePromise } from "../../core/pagination.ts";
import type { RequestOptions } from "../../core/types.ts";
import { APIResource, seg } from "../../resource.ts";
import type { CheckpointListParams, FineTuningJobCheckpoint } from "../../types.ts";

/** /v1/fine_tuning/jobs/{id}/checkpoints */
export class Checkpoints extends APIResource {
  /** Latest step first. */
  list(
    jobId: string,
    params: CheckpointListParams = {},
    options?: RequestOptions,
  ): PagePromise<FineTuningJobCheckpoint> {
    return this.client.list(`/fine_tuning/jobs/${seg(jobId)}/checkpoints`, params, options);
  }
}
