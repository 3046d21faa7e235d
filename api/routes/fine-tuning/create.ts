// POST /v1/fine_tuning/jobs: validates the request, checks model and files, resolves "auto", and enqueues the
// job (validating_files → queued) in one transaction with its events, outbox rows and idempotency record.
import type { Context } from "hono";
import { findFile } from "../../../db/files.ts";
import { findModel } from "../../../db/models.ts";
import { enqueue, markQueued } from "../../../db/queue/queue.ts";
import { TrainSpecError } from "../../../worker/engine/index.ts";
import type { AppEnv } from "../../env.ts";
import { ApiError } from "../../errors.ts";
import { commitCreate } from "../../idempotency/commit.ts";
import { invalidField, invalidValue } from "../../invalid-field.ts";
import { readJsonBody } from "../../json-limit.ts";
import { resolveJobConfig } from "./config.ts";
import { jobObject } from "./objects.ts";
import { CreateJobBody } from "./request.ts";

async function checkFile(c: Context<AppEnv>, fileId: string, param: "training_file" | "validation_file") {
  const file = await findFile(c.var.deps.db.db, c.var.tenant.id, fileId);
  if (!file) throw invalidValue(param, `no such file '${fileId}'`, { code: "invalid_file" });
  if (file.purpose !== "fine-tune") {
    throw invalidValue(param, `file '${fileId}' has purpose '${file.purpose}', expected 'fine-tune'`, {
      code: "invalid_file_purpose",
    });
  }
  return file;
}

/** The job's configuration; an option the engine refuses is the client's bad field, like any other. */
function resolveOrReport(body: CreateJobBody, examples: number | null, modelConfig: Record<string, unknown>) {
  try {
    return resolveJobConfig(body, examples, modelConfig);
  } catch (err) {
    if (err instanceof TrainSpecError) throw invalidValue(err.field, err.problem);
    throw err;
  }
}

export async function createJob(c: Context<AppEnv>): Promise<Response> {
  const parsed = CreateJobBody.safeParse(await readJsonBody(c));
  if (!parsed.success) throw invalidField(parsed.error);
  const body = parsed.data;
  const { db, config } = c.var.deps;
  const tenant = c.var.tenant;

  if (body.early_stopping && !body.validation_file) {
    throw invalidValue("early_stopping", "needs a validation_file to measure validation loss on");
  }
  const model = await findModel(db.db, tenant.id, body.model);
  if (!model) {
    throw new ApiError(400, `The model '${body.model}' does not exist or you do not have access to it.`, {
      param: "model",
      code: "model_not_found",
    });
  }
  if (model.kind !== "base") {
    throw new ApiError(
      400,
      `The model '${body.model}' is a fine-tuned model; fine-tune its base model instead.`,
      {
        param: "model",
        code: "model_not_supported",
      },
    );
  }
  const training = await checkFile(c, body.training_file, "training_file");
  if (body.validation_file) await checkFile(c, body.validation_file, "validation_file");

  const jobConfig = resolveOrReport(body, training.examples, model.config);
  const job = await commitCreate(c, async (tx) => {
    const created = await enqueue(tx.sql, {
      tenantId: tenant.id,
      model: body.model,
      trainingFile: body.training_file,
      validationFile: body.validation_file ?? null,
      suffix: body.suffix ?? null,
      seed: body.seed ?? Math.floor(Math.random() * 2_147_483_647),
      metadata: body.metadata ?? null,
      config: jobConfig,
      maxAttempts: config.worker.maxAttempts,
    });
    // The files were validated line by line at upload and checked above: the job is ready to queue.
    return jobObject((await markQueued(tx.sql, created.id)) ?? created);
  });
  c.var.log.info({ job: job.id, model: body.model }, "fine-tuning job created");
  return c.json(job, 200);
}
