// Registering a base model: gather its Hugging Face files (uploaded files or an S3 prefix) into a temp folder,
// validate the folder, then copy it under the model's storage prefix and record it.
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { z } from "@hono/zod-openapi";
import type { Db } from "../../../db/client.ts";
import { findFile } from "../../../db/files.ts";
import { newId } from "../../../db/ids.ts";
import { findModel, insertModel, modelStoragePrefix } from "../../../db/models.ts";
import type { ModelRow } from "../../../db/schema/models.ts";
import { S3Storage } from "../../../db/storage/s3.ts";
import { checkModelFolder, MODEL_FILE_PATTERN, ModelFolderError } from "../../../worker/engine/index.ts";
import type { AppDeps, AuthTenant } from "../../env.ts";
import { ApiError } from "../../errors.ts";
import type { RegisterModelBody } from "./schemas.ts";

type Body = z.infer<typeof RegisterModelBody>;

function modelExists(id: string): ApiError {
  return new ApiError(409, `A model with id '${id}' already exists`, { param: "id", code: "model_exists" });
}

async function gatherFromFiles(
  deps: AppDeps,
  tenant: AuthTenant,
  files: Record<string, string>,
  dir: string,
) {
  const entries = Object.entries(files);
  if (entries.length === 0) throw ApiError.badRequest("source.files is empty", "source.files");
  for (const [name, fileId] of entries) {
    if (!MODEL_FILE_PATTERN.test(name)) {
      throw ApiError.badRequest(
        `'${name}' is not a Hugging Face model file name this service uses`,
        `source.files.${name}`,
      );
    }
    const row = await findFile(deps.db.db, tenant.id, fileId);
    if (!row) throw ApiError.notFound("file", fileId, `source.files.${name}`);
    await pipeline(await deps.storage.get(row.storageKey), createWriteStream(join(dir, name)));
  }
}

async function gatherFromS3(deps: AppDeps, uri: string, dir: string) {
  if (!(deps.storage instanceof S3Storage)) {
    throw ApiError.badRequest("S3 sources need the service to run with S3 storage (S3_BUCKET)", "source.uri");
  }
  const rest = uri.slice("s3://".length);
  const bucket = rest.slice(0, rest.indexOf("/"));
  let prefix = rest.slice(bucket.length + 1);
  if (prefix && !prefix.endsWith("/")) prefix += "/";
  // The service's own objects (every tenant's files, models, checkpoints and outputs) are never a source: the
  // service's credentials can read them all, so a tenant naming them would copy another tenant's data.
  if (deps.storage.contains(bucket, prefix)) {
    throw ApiError.badRequest(
      `${uri} is inside the service's own storage; register from uploaded files or another S3 location`,
      "source.uri",
      "invalid_source",
    );
  }
  const source = deps.storage.sibling(bucket);
  let objects: Awaited<ReturnType<S3Storage["list"]>>;
  try {
    objects = await source.list(prefix);
  } catch (err) {
    throw ApiError.badRequest(`Cannot list ${uri}: ${(err as Error).message}`, "source.uri");
  }
  const wanted = objects.filter((o) => {
    const name = o.key.slice(prefix.length);
    return !name.includes("/") && MODEL_FILE_PATTERN.test(name);
  });
  if (wanted.length === 0)
    throw new ApiError(422, `No model files under ${uri}`, { param: "source.uri", code: "invalid_model" });
  for (const o of wanted) {
    await pipeline(await source.get(o.key), createWriteStream(join(dir, o.key.slice(prefix.length))));
  }
}

/**
 * Registers the model and returns what `commit` makes of it: `commit` runs the row's insert in the transaction
 * of its choice (the create's, with its idempotency record), after the files are stored; they are removed again
 * if it fails.
 */
export async function registerModel<T>(
  deps: AppDeps,
  tenant: AuthTenant,
  body: Body,
  commit: (insert: (db: Db) => Promise<ModelRow>) => Promise<T>,
): Promise<T> {
  if (await findModel(deps.db.db, tenant.id, body.id)) throw modelExists(body.id);
  const dir = await mkdtemp(join(tmpdir(), "grades-register-"));
  const rowId = newId("mdl_");
  const prefix = modelStoragePrefix(tenant.id, rowId);
  let stored = false;
  try {
    if (body.source.type === "files") await gatherFromFiles(deps, tenant, body.source.files, dir);
    else await gatherFromS3(deps, body.source.uri, dir);
    let config: Awaited<ReturnType<typeof checkModelFolder>>;
    try {
      // The service trains on text, so it needs the tokenizer that the engine alone could do without.
      config = await checkModelFolder(dir, { require: ["tokenizer.json", "tokenizer_config.json"] });
    } catch (err) {
      if (err instanceof ModelFolderError) {
        throw new ApiError(422, `The model is not usable: ${err.message}`, {
          param: err.where,
          code: "invalid_model",
        });
      }
      throw err;
    }
    stored = true;
    for (const name of await readdir(dir)) {
      await deps.storage.put(`${prefix}${name}`, createReadStream(join(dir, name)));
    }
    return await commit(async (db) => {
      const row = await insertModel(db, {
        id: rowId,
        name: body.id,
        owner: tenant.id,
        kind: "base",
        modelType: config.model_type,
        storagePrefix: prefix,
        config: config as unknown as Record<string, unknown>,
        source: body.source,
      });
      if (!row) throw modelExists(body.id);
      return row;
    });
  } catch (err) {
    if (stored) await deps.storage.deletePrefix(prefix);
    throw err;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
