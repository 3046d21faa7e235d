// Following a job from the client: `wait` polls the job until it is terminal and reports progress as it changes;
// `follow` yields the job's events (messages and per-step metrics) as they are written. Both poll: the API has
// no push channel besides webhooks.
import { APIUserAbortError } from "../../core/errors.ts";
import { sleep } from "../../core/retry.ts";
import type { RequestOptions } from "../../core/types.ts";
import type { FineTuningJob, FineTuningJobEvent, FineTuningJobStatus } from "../../types.ts";
import type { Jobs } from "./jobs.ts";

export const TERMINAL_STATUSES: readonly FineTuningJobStatus[] = ["succeeded", "failed", "cancelled"];
export const isTerminal = (status: FineTuningJobStatus): boolean => TERMINAL_STATUSES.includes(status);

const DEFAULT_POLL_MS = 1000;

export interface JobProgress {
  status: FineTuningJobStatus;
  /** Optimizer steps completed. */
  step: number;
  total_steps: number | null;
  /** Training loss at the latest step with metrics; null before the first. */
  train_loss: number | null;
  /** Share of the tracked weight matrices GradES has frozen, 0..1. */
  frozen_fraction: number;
  job: FineTuningJob;
}

export interface JobWaitOptions extends RequestOptions {
  /** Called with the job's progress whenever its status, step, loss or frozen fraction changes. */
  onProgress?: (progress: JobProgress) => void;
  /** Milliseconds between polls (default 1000). */
  pollInterval?: number;
}

export interface JobFollowOptions extends RequestOptions {
  /** Milliseconds between polls (default 1000). */
  pollInterval?: number;
  /** Start after this event id instead of at the job's first event. */
  after?: string;
}

async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await sleep(ms, signal);
  } catch {
    throw new APIUserAbortError();
  }
}

/** The job's events written after `lastId` (all of them when undefined), oldest first. */
async function eventsSince(
  jobs: Jobs,
  jobId: string,
  lastId: string | undefined,
  options: RequestOptions,
): Promise<FineTuningJobEvent[]> {
  const fresh: FineTuningJobEvent[] = [];
  for await (const event of jobs.listEvents(jobId, { limit: 100 }, options)) {
    if (event.id === lastId) break;
    fresh.push(event);
  }
  return fresh.reverse();
}

async function latestLoss(jobs: Jobs, jobId: string, options: RequestOptions): Promise<number | null> {
  const page = await jobs.listEvents(jobId, { limit: 20 }, options);
  const loss = page.data.find((e) => e.type === "metrics")?.data?.train_loss;
  return typeof loss === "number" ? loss : null;
}

export async function waitForJob(jobs: Jobs, jobId: string, opts: JobWaitOptions): Promise<FineTuningJob> {
  const { onProgress, pollInterval = DEFAULT_POLL_MS, ...options } = opts;
  let reported: string | undefined;
  let lossStep = -1;
  let trainLoss: number | null = null;
  for (;;) {
    const job = await jobs.retrieve(jobId, options);
    if (onProgress) {
      const step = job.grades.steps_completed;
      if (step !== lossStep && step > 0) {
        trainLoss = await latestLoss(jobs, jobId, options);
        lossStep = step;
      }
      const progress: JobProgress = {
        status: job.status,
        step,
        total_steps: job.grades.total_steps,
        train_loss: trainLoss,
        frozen_fraction: job.grades.frozen_fraction,
        job,
      };
      const key = JSON.stringify([progress.status, step, trainLoss, progress.frozen_fraction]);
      if (key !== reported) {
        reported = key;
        onProgress(progress);
      }
    }
    if (isTerminal(job.status)) return job;
    await pause(pollInterval, options.signal);
  }
}

export async function* followJob(
  jobs: Jobs,
  jobId: string,
  opts: JobFollowOptions,
): AsyncGenerator<FineTuningJobEvent> {
  const { pollInterval = DEFAULT_POLL_MS, after, ...options } = opts;
  let lastId = after;
  for (;;) {
    // The status is read before the events: a job's final events are written with its terminal status, so
    // the events read after seeing that status include them all.
    const job = await jobs.retrieve(jobId, options);
    for (const event of await eventsSince(jobs, jobId, lastId, options)) {
      lastId = event.id;
      yield event;
    }
    if (isTerminal(job.status)) return;
    await pause(pollInterval, options.signal);
  }
}
