// A finished training run becomes results: the output folder under the job's output prefix (the fine-tuned
// model's files), the adapter archive and the metrics CSV as `fine-tune-results` files, the fine-tuned model
// registered for the tenant, and the job moved to succeeded, these last three in one transaction guarded by
// the lease. If the lease turns out lost, the transaction rolls back and the result files' objects are removed
// (the run's output prefix is left; no other run writes there).
import { fileStorageKey } from "../db/files.ts";
import { newId } from "../db/ids.ts";
import type { JobRow } from "../db/queue/jobs.ts";
import { outputPrefix } from "../db/queue/keys.ts";
import { succeed } from "../db/queue/queue.ts";
import type { ModelRef } from "../db/queue/reads.ts";
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
  base: ModelRef,
  outputDir: string,
  reporter: JobReporter,
  runId: string,
): Promise<JobRow> {
  const { storage, db } = ctx;
  const prefix = outputPrefix(job.tenantId, job.id, runId);
  const written: string[] = [];
  try {
    await uploadFolder(storage, outputDir, prefix);
    const files = await listFiles(outputDir);
    const archiveId = newId("file-");
    const archiveKey = fileStorageKey(job.tenantId, archiveId);
    written.push(archiveKey);
    const archive = await storage.put(archiveKey, tarGzFolder(outputDir, files, `${job.id}-adapter`), {
      contentType: "application/gzip",
    });
    const csvId = newId("file-");
    const csvKey = fileStorageKey(job.tenantId, csvId);
    written.push(csvKey);
    const csv = await storage.put(csvKey, reporter.metricsCsv(), { contentType: "text/csv" });

    const [tenant] = await db.sql.query<{ name: string }>("select name from tenants where id = $1", [
      job.tenantId,
    ]);
    const modelName = fineTunedModelName(job, tenant?.name ?? job.tenantId);
    return await db.sql.transaction(async (tx) => {
      const insertFile = (id: string, name: string, bytes: number, key: string, type: string) =>
        tx.query(
          `insert into files (id, tenant_id, filename, purpose, bytes, storage_key, content_type)
           values ($1, $2, $3, 'fine-tune-results', $4, $5, $6)`,
          [id, job.tenantId, name, bytes, key, type],
        );
      await insertFile(archiveId, `${job.id}-adapter.tar.gz`, archive.size, archiveKey, "application/gzip");
      await insertFile(csvId, `${job.id}-metrics.csv`, csv.size, csvKey, "text/csv");
      await tx.query(
        `insert into models (id, name, owner, kind, model_type, storage_prefix, config, source, parent)
         values ($1, $2, $3, 'fine_tuned', $4, $5, $6::text::jsonb, $7::text::jsonb, $8)
         on conflict (owner, name) do nothing`,
        [
          newId("mdl_"),
          modelName,
          job.tenantId,
          base.modelType,
          prefix,
          JSON.stringify(base.config),
          JSON.stringify({
            type: "job",
            job_id: job.id,
            training_type: (job.config as { training_type?: string }).training_type,
          }),
          base.name,
        ],
      );
      reporter.message(`New fine-tuned model created: ${modelName}`);
      await reporter.flushWith(tx);
      const done = await succeed(tx, job.id, ctx.workerId, {
        fineTunedModel: modelName,
        resultFiles: [archiveId, csvId],
        trainedTokens: reporter.trainedTokens,
        progress: reporter.progress as unknown as Record<string, unknown>,
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
