// Where a job's objects live in storage. Everything of one job sits under one prefix, so deleting a job's data
// is one prefix delete.

export function jobPrefix(tenantId: string, jobId: string): string {
  return `jobs/${tenantId}/${jobId}/`;
}

/**
 * Objects one run of a job writes (a run: one claim by one worker, named by `runId`). Runs never share keys, so
 * a worker that lost its lease without noticing yet cannot overwrite what the job's new holder wrote; the
 * database rows (checkpoints, the fine-tuned model) say which run's objects count.
 */
function runPrefix(tenantId: string, jobId: string, runId: string): string {
  return `${jobPrefix(tenantId, jobId)}runs/${runId}/`;
}

/** The engine's checkpoint folder for `step` (weights or adapter, optimizer, GradES state, data position). */
export function checkpointPrefix(tenantId: string, jobId: string, runId: string, step: number): string {
  return `${runPrefix(tenantId, jobId, runId)}checkpoints/step-${step}/`;
}

/** The trained PEFT adapter (or full model) folder, also the fine-tuned model's storage prefix. */
export function outputPrefix(tenantId: string, jobId: string, runId: string): string {
  return `${runPrefix(tenantId, jobId, runId)}output/`;
}
