// /v1/fine_tuning/jobs, with our extensions (pause, resume, the GradES freeze map, the adapter archive) and the
// client-side helpers `wait` and `follow`.
import { APIUserAbortError } from "../../core/errors.ts";
import type { PagePromise } from "../../core/pagination.ts";
import { readTarGz } from "../../core/tar.ts";
import type { RequestOptions } from "../../core/types.ts";
import { writeEntries } from "../../internal/node.ts";
import { APIResource, seg } from "../../resource.ts";
import type {
  FineTuningJob,
  FineTuningJobEvent,
  FineTuningJobGrades,
  JobCreateParams,
  JobListEventsParams,
  JobListParams,
} from "../../types.ts";
import { Checkpoints } from "./checkpoints.ts";
import { followJob, type JobFollowOptions, type JobWaitOptions, waitForJob } from "./watch.ts";

export interface AdapterDownloadParams {
  /** Folder to unpack into (created if missing): it then holds adapter_config.json, adapter_model.safetensors… */
  dir: string;
  /** Leading path components dropped from each entry (default 1: the archive's `<job id>-adapter/` folder). */
  strip?: number;
}

export interface AdapterFolder {
  dir: string;
  /** The files written, relative to `dir`, sorted. */
  files: string[];
}

export class Jobs extends APIResource {
  readonly checkpoints = new Checkpoints(this.client);

  create(params: JobCreateParams, options?: RequestOptions): Promise<FineTuningJob> {
    return this.client.request({
      method: "POST",
      path: "/fine_tuning/jobs",
      body: params,
      idempotent: true,
      options,
    });
  }

  retrieve(jobId: string, options?: RequestOptions): Promise<FineTuningJob> {
    return this.client.request({ method: "GET", path: `/fine_tuning/jobs/${seg(jobId)}`, options });
  }

  /** Newest first. */
  list(params: JobListParams = {}, options?: RequestOptions): PagePromise<FineTuningJob> {
    return this.client.list("/fine_tuning/jobs", params, options);
  }

  cancel(jobId: string, options?: RequestOptions): Promise<FineTuningJob> {
    return this.action(jobId, "cancel", options);
  }

  /** A running job checkpoints first (`pause_requested` until it has). */
  pause(jobId: string, options?: RequestOptions): Promise<FineTuningJob> {
    return this.action(jobId, "pause", options);
  }

  /** Continues a paused job from its latest checkpoint. */
  resume(jobId: string, options?: RequestOptions): Promise<FineTuningJob> {
    return this.action(jobId, "resume", options);
  }

  /** Newest first; `metrics` events carry each step's loss, learning rate and frozen fraction in `data`. */
  listEvents(
    jobId: string,
    params: JobListEventsParams = {},
    options?: RequestOptions,
  ): PagePromise<FineTuningJobEvent> {
    return this.client.list(`/fine_tuning/jobs/${seg(jobId)}/events`, params, options);
  }

  /** The GradES freeze map: per layer and matrix the step it froze at and its latest G, and the history. */
  grades(jobId: string, options?: RequestOptions): Promise<FineTuningJobGrades> {
    return this.client.request({ method: "GET", path: `/fine_tuning/jobs/${seg(jobId)}/grades`, options });
  }

  /**
   * The trained adapter (or model) of a succeeded job: with `{dir}`, downloaded and unpacked into that folder
   * (needs node:fs: Node, Bun, Deno); without, the .tar.gz bytes as a stream (read it with `readTarGz`).
   */
  adapter(jobId: string, options?: RequestOptions): Promise<ReadableStream<Uint8Array>>;
  adapter(jobId: string, params: AdapterDownloadParams, options?: RequestOptions): Promise<AdapterFolder>;
  async adapter(
    jobId: string,
    paramsOrOptions?: AdapterDownloadParams | RequestOptions,
    maybeOptions?: RequestOptions,
  ): Promise<ReadableStream<Uint8Array> | AdapterFolder> {
    const params = paramsOrOptions && "dir" in paramsOrOptions ? paramsOrOptions : undefined;
    const options = params ? maybeOptions : (paramsOrOptions as RequestOptions | undefined);
    const response = await this.client.requestResponse({
      method: "GET",
      path: `/fine_tuning/jobs/${seg(jobId)}/adapter`,
      options: { ...options, headers: { accept: "application/gzip", ...options?.headers } },
    });
    const body = response.body ?? new Blob([]).stream();
    if (!params) return body;
    try {
      const files = await writeEntries(readTarGz(body), params.dir, params.strip ?? 1);
      return { dir: params.dir, files };
    } catch (err) {
      if (options?.signal?.aborted) throw new APIUserAbortError();
      throw err;
    }
  }

  /**
   * Resolves with the job once it is succeeded, failed or cancelled (a failed job is returned, not thrown:
   * look at `status` and `error`), calling `onProgress` as step, loss or frozen fraction change.
   */
  wait(jobId: string, options: JobWaitOptions = {}): Promise<FineTuningJob> {
    return waitForJob(this, jobId, options);
  }

  /** The job's events, oldest first, then new ones as they arrive, until the job is terminal. */
  follow(jobId: string, options: JobFollowOptions = {}): AsyncGenerator<FineTuningJobEvent> {
    return followJob(this, jobId, options);
  }

  private action(jobId: string, name: "cancel" | "pause" | "resume", options?: RequestOptions) {
    return this.client.request<FineTuningJob>({
      method: "POST",
      path: `/fine_tuning/jobs/${seg(jobId)}/${name}`,
      options,
    });
  }
}
