// A job that only exists to move through the queue's states (benchmarks, webhook tests): no real files or model
// behind it, nothing ever trains it.
import type { SqlExecutor } from "../client.ts";
import { parseJobConfig } from "../queue/job-config.ts";
import type { JobRow } from "../queue/jobs.ts";
import { enqueue, markQueued } from "../queue/queue.ts";

/** Creates a stand-in job of `tenantId` and moves it to queued; each move writes its outbox row. */
export async function queueStandInJob(sql: SqlExecutor, tenantId: string): Promise<JobRow> {
  const job = await enqueue(sql, {
    tenantId,
    model: "demo-tiny",
    trainingFile: "file-stand-in",
    validationFile: null,
    suffix: null,
    seed: 1,
    metadata: null,
    // The defaults: the queue never reads a stand-in job's configuration.
    config: parseJobConfig({}, 1),
    maxAttempts: 3,
  });
  await markQueued(sql, job.id);
  return job;
}
