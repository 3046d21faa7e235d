// A finished training run becomes results: the output folder under the job's output prefix (the fine-tuned
// model's files), the adapter archive and the metrics CSV as `fine-tune-results` files, the fine-tuned model
// registered for the tenant, and the job moved to succeeded, these last three in one transaction guarded by
// the lease. If the lease turns out lost, the transaction rolls back and the result files' objects are removed
// (the run's output prefix is left; no other run writes there).
import { insertFile, newFileKey } from "../db/files.ts";
import { findTenant } from "../db/keys.ts";
import { insertModel } from "../db/models.ts";
import type { JobRow } from "../db/queue/jobs.ts";
import { outputPrefix } from "../db/queue/keys.ts";
import { succeed } from "../db/queue/queue.ts";
import type { ModelRow } from "../db/schema/models.ts";
import type { WorkerContext } from "./context.ts";
import type { JobReporter } from "./reporter.ts";
import { listFiles, tarGzFolder, uploadFolder } from "./uploads.ts";

export class LeaseLostError extends Error {
  constructor(jobId: string) {
    super(`lease on ${jobId} was lost before its results were recorded`);
    this.name = "LeaseLostError";
  }
}

/** OpenAI's naming: ft:<base>:<organization>:<suffix>:<id>. */
export function fineTunedModelName(job: JobRow, tenantName: string): string {
  return `ft:${job.model}:${tenantName}:${job.suffix ?? ""}:${job.id.replace(/^ftjob-/, "").slice(0, 8)}`;
}

export async function publishResults(
  ctx: WorkerContext,
  job: JobRow,
  base: ModelRow,
  outputDir: string,
  reporter: JobReporter,
  runId: string,
): Promise<JobRow> {
  const { storage, db } = ctx;
  const prefix = outputPrefix(job.tenantId, job.id, runId);
  const written: string[] = [];
  const resultFile = async (
    filename: string,
    body: Parameters<typeof storage.put>[1],
    contentType: string,
  ) => {
    const { id, storageKey } = newFileKey(job.tenantId);
    written.push(storageKey);
    const { size } = await storage.put(storageKey, body, { contentType });
    return {
      id,
      tenantId: job.tenantId,
      filename,
      purpose: "fine-tune-results",
      bytes: size,
      storageKey,
      contentType,
    };
  };
  try {
    await uploadFolder(storage, outputDir, prefix);
    const files = await listFiles(outputDir);
    const archive = await resultFile(
      `${job.id}-adapter.tar.gz`,
      tarGzFolder(outputDir, files, `${job.id}-adapter`),
      "application/gzip",
    );
    const csv = await resultFile(`${job.id}-metrics.csv`, reporter.metricsCsv(), "text/csv");

    const tenant = await findTenant(db.db, job.tenantId);
    const modelName = fineTunedModelName(job, tenant?.name ?? job.tenantId);
    return await db.transaction(async (tx) => {
      await insertFile(tx.db, archive);
      await insertFile(tx.db, csv);
      await insertModel(tx.db, {
        name: modelName,
        owner: job.tenantId,
        kind: "fine_tuned",
        modelType: base.modelType,
        storagePrefix: prefix,
        config: base.config,
        source: { type: "job", job_id: job.id, training_type: job.config.training_type },
        parent: base.name,
      });
      reporter.message(`New fine-tuned model created: ${modelName}`);
      await reporter.flushWith(tx.sql);
      const done = await succeed(tx.sql, job.id, ctx.workerId, {
        fineTunedModel: modelName,
        resultFiles: [archive.id, csv.id],
        trainedTokens: reporter.trainedTokens,
        progress: reporter.progress,
        backend: reporter.backend ?? "unknown",
      });
      if (!done) throw new LeaseLostError(job.id);
      return done;
    });
  } catch (err) {
    for (const key of written) await storage.delete(key).catch(() => {});
    throw err;
  }
}
