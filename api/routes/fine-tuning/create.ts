// POST /v1/fine_tuning/jobs: validates the request, checks model and files, resolves "auto", and enqueues the
// job (validating_files → queued) in one transaction with its events and outbox rows.
import type { Context } from "hono";
import type { ZodError } from "zod";
import { findFile } from "../../../db/files.ts";
import { findModel } from "../../../db/models.ts";
import { enqueue, markQueued } from "../../../db/queue/queue.ts";
import type { AppEnv } from "../../env.ts";
import { ApiError } from "../../errors.ts";
import { resolveJobConfig } from "./config.ts";
import { jobObject } from "./objects.ts";
import { CreateJobBody } from "./request.ts";

/** One 400 naming the first bad field; an unknown field is named itself (`param: "lora.rank"`). */
export function requestError(err: ZodError): ApiError {
  const issue = err.issues[0]!;
  const path = issue.path.map(String);
  if (issue.code === "unrecognized_keys") {
    const key = [...path, issue.keys[0]!].join(".");
    return new ApiError(400, `Unrecognized request argument supplied: ${key}`, {
      param: key,
      code: "unknown_parameter",
    });
  }
  const param = path.join(".");
  const message =
    issue.code === "invalid_union" ? 'expected "auto" or a number within the allowed range' : issue.message;
  return new ApiError(400, `Invalid value for '${param || "body"}': ${message}`, {
    param: param || null,
    code: "invalid_value",
  });
}

async function checkFile(c: Context<AppEnv>, fileId: string, param: "training_file" | "validation_file") {
  const file = await findFile(c.var.deps.db.db, c.var.tenant.id, fileId);
  if (!file) {
    throw new ApiError(400, `invalid ${param}: no such file '${fileId}'`, { param, code: "invalid_file" });
  }
  if (file.purpose !== "fine-tune") {
    throw new ApiError(
      400,
      `invalid ${param}: file '${fileId}' has purpose '${file.purpose}', expected 'fine-tune'`,
      {
        param,
        code: "invalid_file_purpose",
      },
    );
  }
  return file;
}

export async function createJob(c: Context<AppEnv>): Promise<Response> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new ApiError(400, "Malformed JSON in request body", { code: "invalid_json" });
  }
  const parsed = CreateJobBody.safeParse(raw);
  if (!parsed.success) throw requestError(parsed.error);
  const body = parsed.data;
  const { db, config } = c.var.deps;
  const tenant = c.var.tenant;

  if (body.early_stopping && !body.validation_file) {
    throw new ApiError(400, "early_stopping needs a validation_file to measure validation loss on", {
      param: "early_stopping",
      code: "invalid_value",
    });
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

  const jobConfig = resolveJobConfig(body, training.examples);
  const job = await db.sql.transaction(async (tx) => {
    const created = await enqueue(tx, {
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
    return (await markQueued(tx, created.id)) ?? created;
  });
  c.var.log.info({ job: job.id, model: body.model }, "fine-tuning job created");
  return c.json(jobObject(job), 200);
}
