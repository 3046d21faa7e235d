// /v1/uploads: a large file sent in parts (each up to 64 MB), assembled into one file on completion,
// as OpenAI's Uploads API and its official clients do it.
import { Readable } from "node:stream";
import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { insertFile, newFileKey } from "../../../db/files.ts";
import type { UploadRow } from "../../../db/schema/uploads.ts";
import type { ObjectStorage } from "../../../db/storage/types.ts";
import {
  createUpload,
  findUpload,
  finishUpload,
  insertPart,
  listParts,
  newPartKey,
  uploadPartsPrefix,
} from "../../../db/uploads.ts";
import { checkDatasetStream, describeDatasetErrors } from "../../datasets/check-stream.ts";
import type { AppEnv } from "../../env.ts";
import { ApiError, errorResponses } from "../../errors.ts";
import { hashingStream } from "../../hash-stream.ts";
import { servableMediaType } from "../../header-values.ts";
import { commitCreate } from "../../idempotency/commit.ts";
import { IDEMPOTENCY_STATUSES, idempotentCreate } from "../../idempotency/middleware.ts";
import { receiveMultipart, streamedFormSchema } from "../../multipart.ts";
import { newRouter } from "../../router.ts";
import { checkFilename, fileExpiresAt } from "../files/schemas.ts";
import {
  CompleteUploadBody,
  CreateUploadBody,
  partObject,
  UploadObject,
  UploadPartObject,
  uploadObject,
} from "./schemas.ts";

/** OpenAI's limits: parts of at most 64 MB, an upload expires an hour after creation. */
export const MAX_PART_BYTES = 64 * 1024 * 1024;
const UPLOAD_TTL_MS = 60 * 60 * 1000;

const UploadIdParam = z.object({
  upload_id: z.string().openapi({ param: { name: "upload_id", in: "path" } }),
});

const createUploadRoute = createRoute({
  method: "post",
  path: "/uploads",
  summary: "Create an upload",
  tags: ["Uploads"],
  request: { body: { required: true, content: { "application/json": { schema: CreateUploadBody } } } },
  ...idempotentCreate({ body: "json" }),
  responses: {
    ...errorResponses(400, 413, ...IDEMPOTENCY_STATUSES),
    200: { description: "The pending upload", content: { "application/json": { schema: UploadObject } } },
  },
});

const addPartRoute = createRoute({
  method: "post",
  path: "/uploads/{upload_id}/parts",
  summary: "Add a part (at most 64 MB) to an upload",
  tags: ["Uploads"],
  request: {
    params: UploadIdParam,
    body: {
      required: true,
      content: {
        "multipart/form-data": { schema: streamedFormSchema(z.object({ data: z.file() })) },
      },
    },
  },
  ...idempotentCreate({ body: "streamed" }),
  responses: {
    ...errorResponses(400, 404, 409, 413, 415, 422),
    200: { description: "The part", content: { "application/json": { schema: UploadPartObject } } },
  },
});

const completeRoute = createRoute({
  method: "post",
  path: "/uploads/{upload_id}/complete",
  summary: "Complete an upload: its parts, in the given order, become one file",
  tags: ["Uploads"],
  request: {
    params: UploadIdParam,
    body: { required: true, content: { "application/json": { schema: CompleteUploadBody } } },
  },
  ...idempotentCreate({ body: "json" }),
  responses: {
    ...errorResponses(400, 404, 409, 422),
    200: {
      description: "The completed upload with its file",
      content: { "application/json": { schema: UploadObject } },
    },
  },
});

const cancelRoute = createRoute({
  method: "post",
  path: "/uploads/{upload_id}/cancel",
  summary: "Cancel an upload",
  tags: ["Uploads"],
  request: { params: UploadIdParam },
  responses: {
    ...errorResponses(404, 409),
    200: { description: "The cancelled upload", content: { "application/json": { schema: UploadObject } } },
  },
});

async function ownUpload(c: Context<AppEnv>, uploadId: string): Promise<UploadRow> {
  const row = await findUpload(c.var.deps.db.db, c.var.tenant.id, uploadId);
  if (!row) throw ApiError.notFound("upload", uploadId, "upload_id");
  return row;
}

const notPending = (upload: UploadRow) =>
  new ApiError(409, `Upload ${upload.id} is no longer pending`, { code: "upload_not_pending" });

function assertPending(row: UploadRow): void {
  if (row.status !== "pending") {
    throw new ApiError(409, `Upload ${row.id} is already ${row.status}`, { code: "upload_not_pending" });
  }
  if (row.expiresAt.getTime() <= Date.now()) {
    throw new ApiError(409, `Upload ${row.id} has expired`, { code: "upload_expired" });
  }
}

/** The parts' objects one after another, as one stream. */
function concatenate(storage: ObjectStorage, keys: string[]): Readable {
  return Readable.from(
    (async function* () {
      for (const key of keys) yield* await storage.get(key);
    })(),
  );
}

/** The part is streamed to storage as it arrives; its form is documented, not validated (see streamedFormSchema). */
const addPart: RouteHandler<typeof addPartRoute, AppEnv> = async (c) => {
  const uploadId = c.req.valid("param").upload_id;
  const upload = await ownUpload(c, uploadId);
  assertPending(upload);
  const { storage } = c.var.deps;
  const { id, storageKey } = newPartKey(upload);
  const form = await receiveMultipart(c, {
    storage,
    storageKey,
    fileField: "data",
    maxBytes: Math.min(MAX_PART_BYTES, upload.bytes),
    checkLines: false,
    digest: c.var.idempotency !== undefined,
  });
  try {
    const file = form.file;
    if (!file) throw ApiError.badRequest("Missing required parameter: 'data'", "data");
    const part = await commitCreate(
      c,
      async (tx) =>
        partObject(await insertPart(tx.db, { id, uploadId: upload.id, bytes: file.size, storageKey })),
      { form },
    );
    return c.json(part, 200);
  } catch (err) {
    await storage.delete(storageKey);
    throw err;
  }
};

export const uploadsRoutes = newRouter()
  .openapi(createUploadRoute, async (c) => {
    const body = c.req.valid("json");
    const max = c.var.deps.config.maxMultipartUploadBytes;
    if (body.bytes > max) {
      throw new ApiError(413, `bytes (${body.bytes}) exceeds the maximum upload size of ${max} bytes`, {
        param: "bytes",
        code: "file_too_large",
      });
    }
    // The same rules as a direct upload's filename: it becomes the file's name when the upload completes.
    let filename: string;
    try {
      filename = checkFilename(body.filename);
    } catch (err) {
      throw ApiError.badRequest(
        `Invalid filename: ${(err as Error).message}`,
        "filename",
        "invalid_filename",
      );
    }
    const created = await commitCreate(c, async (tx) => {
      const row = await createUpload(tx.db, {
        tenantId: c.var.tenant.id,
        filename,
        purpose: body.purpose,
        bytes: body.bytes,
        mimeType: body.mime_type,
        expiresAt: new Date(Date.now() + UPLOAD_TTL_MS),
        fileExpiresAfter: body.expires_after?.seconds ?? null,
      });
      return uploadObject(row, null);
    });
    return c.json(created, 200);
  })
  .openapi(completeRoute, async (c) => {
    const { upload_id } = c.req.valid("param");
    const { part_ids, md5 } = c.req.valid("json");
    const upload = await ownUpload(c, upload_id);
    assertPending(upload);
    const { db, storage } = c.var.deps;
    const parts = await listParts(db.db, upload.id);
    const byId = new Map(parts.map((p) => [p.id, p]));
    if (new Set(part_ids).size !== part_ids.length)
      throw ApiError.badRequest("part_ids contains duplicates", "part_ids");
    const ordered = part_ids.map((pid, i) => {
      const p = byId.get(pid);
      if (!p)
        throw ApiError.badRequest(`part_ids[${i}]: no part '${pid}' in upload ${upload.id}`, `part_ids.${i}`);
      return p;
    });
    const total = ordered.reduce((n, p) => n + p.bytes, 0);
    if (total !== upload.bytes) {
      throw ApiError.badRequest(
        `The parts add up to ${total} bytes, but the upload was created with bytes=${upload.bytes}`,
        "part_ids",
        "bytes_mismatch",
      );
    }

    const { id: fileId, storageKey } = newFileKey(upload.tenantId);
    const md5Of = hashingStream("md5");
    const check = upload.purpose === "fine-tune" ? checkDatasetStream() : undefined;
    let stream: Readable = concatenate(
      storage,
      ordered.map((p) => p.storageKey),
    ).pipe(md5Of.transform);
    if (check) stream = stream.pipe(check.transform);
    try {
      const contentType = servableMediaType(upload.mimeType);
      await storage.put(storageKey, stream, { contentType, size: upload.bytes });
      if (md5 && md5.toLowerCase() !== md5Of.digest()) {
        throw ApiError.badRequest("md5 does not match the uploaded bytes", "md5", "checksum_mismatch");
      }
      const result = check ? await check.result : undefined;
      if (result && result.errors.length > 0) {
        throw ApiError.badRequest(describeDatasetErrors(result), "file", "invalid_file_format");
      }
      const completed = await commitCreate(c, async (tx) => {
        const file = await insertFile(tx.db, {
          id: fileId,
          tenantId: upload.tenantId,
          filename: upload.filename,
          purpose: upload.purpose,
          bytes: upload.bytes,
          storageKey,
          contentType,
          examples: result?.examples ?? null,
          format: result?.format ?? null,
          expiresAt: fileExpiresAt(upload.fileExpiresAfter),
        });
        // Guarded by status, so two racing completions make one file.
        const row = await finishUpload(tx.db, upload.id, { status: "completed", fileId });
        if (!row) throw notPending(upload);
        return uploadObject(row, file);
      });
      await storage.deletePrefix(uploadPartsPrefix(upload.tenantId, upload.id));
      return c.json(completed, 200);
    } catch (err) {
      await storage.delete(storageKey);
      throw err;
    }
  })
  .openapi(cancelRoute, async (c) => {
    const { upload_id } = c.req.valid("param");
    const upload = await ownUpload(c, upload_id);
    if (upload.status !== "pending") {
      throw new ApiError(409, `Upload ${upload.id} is already ${upload.status}`, {
        code: "upload_not_pending",
      });
    }
    const row = await finishUpload(c.var.deps.db.db, upload.id, { status: "cancelled" });
    if (!row) throw notPending(upload);
    await c.var.deps.storage.deletePrefix(uploadPartsPrefix(upload.tenantId, upload.id));
    return c.json(uploadObject(row, null), 200);
  })
  .openapi(addPartRoute, addPart);
