// Where a job's objects live in storage. Everything of one job sits under one prefix, so deleting a job's data
// is one prefix delete.

export function jobPrefix(tenantId: string, jobId: string): string {
  return `jobs/${tenantId}/${jobId}/`;
}

/** The engine's checkpoint folder for `step` (weights or adapter, optimizer, GradES state, data position). */
export function checkpointPrefix(tenantId: string, jobId: string, step: number): string {
  return `${jobPrefix(tenantId, jobId)}checkpoints/step-${step}/`;
}

/** The trained PEFT adapter (or full model) folder, also the fine-tuned model's storage prefix. */
export function outputPrefix(tenantId: string, jobId: string): string {
  return `${jobPrefix(tenantId, jobId)}output/`;
}
