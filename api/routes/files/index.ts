// /v1/files: upload (streamed to storage), list, retrieve, delete, content.
import { Readable } from "node:stream";
import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { deleteFile, findFile, insertFile, listFiles, newFileKey } from "../../../db/files.ts";
import { describeDatasetErrors } from "../../datasets/check-stream.ts";
import type { AppEnv } from "../../env.ts";
import { ApiError, errorResponses } from "../../errors.ts";
import { contentDisposition, servableMediaType } from "../../header-values.ts";
import { commitCreate } from "../../idempotency/commit.ts";
import { IDEMPOTENCY_STATUSES, idempotentCreate } from "../../idempotency/middleware.ts";
import { invalidValue } from "../../invalid-field.ts";
import { receiveMultipart, streamedFormSchema } from "../../multipart.ts";
import { listQuery, listSchema, toPage } from "../../pagination.ts";
import { newRouter } from "../../router.ts";
import {
  ALL_PURPOSES,
  checkFilename,
  DeletedFile,
  EXPIRES_AFTER_SECONDS,
  ExpiresAfter,
  FileObject,
  fileExpiresAt,
  fileObject,
  UPLOAD_PURPOSES,
} from "./schemas.ts";

const FileIdParam = z.object({ file_id: z.string().openapi({ param: { name: "file_id", in: "path" } }) });

const listRoute = createRoute({
  method: "get",
  path: "/files",
  summary: "List files",
  tags: ["Files"],
  request: {
    query: listQuery(10_000, 10_000).extend({
      order: z.enum(["asc", "desc"]).default("desc"),
      purpose: z.enum(ALL_PURPOSES).optional(),
    }),
  },
  responses: {
    ...errorResponses(400),
    200: {
      description: "A page of files",
      content: { "application/json": { schema: listSchema(FileObject, "FileList") } },
    },
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/files/{file_id}",
  summary: "Retrieve a file",
  tags: ["Files"],
  request: { params: FileIdParam },
  responses: {
    ...errorResponses(404),
    200: { description: "The file", content: { "application/json": { schema: FileObject } } },
  },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/files/{file_id}",
  summary: "Delete a file and its contents",
  tags: ["Files"],
  request: { params: FileIdParam },
  responses: {
    ...errorResponses(404),
    200: { description: "Deleted", content: { "application/json": { schema: DeletedFile } } },
  },
});

const contentRoute = createRoute({
  method: "get",
  path: "/files/{file_id}/content",
  summary: "Download a file's contents",
  tags: ["Files"],
  request: { params: FileIdParam },
  responses: {
    ...errorResponses(404),
    200: {
      description: "The bytes",
      content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } },
    },
  },
});

/** The upload form's fields; the body is streamed by `uploadFile`, so this documents them without a validator. */
const UploadFileForm = z.object({
  file: z.file(),
  purpose: z.enum(UPLOAD_PURPOSES),
  "expires_after[anchor]": ExpiresAfter.shape.anchor.optional(),
  "expires_after[seconds]": ExpiresAfter.shape.seconds.optional(),
});

const uploadRoute = createRoute({
  method: "post",
  path: "/files",
  summary: "Upload a file",
  description:
    "Multipart upload, streamed to storage. Files with purpose `fine-tune` are checked line by line; a rejected file is not kept.",
  tags: ["Files"],
  request: {
    body: {
      required: true,
      content: { "multipart/form-data": { schema: streamedFormSchema(UploadFileForm) } },
    },
  },
  ...idempotentCreate({ body: "streamed" }),
  responses: {
    ...errorResponses(400, 413, 415, ...IDEMPOTENCY_STATUSES),
    200: { description: "The stored file", content: { "application/json": { schema: FileObject } } },
  },
});

function checkPurpose(purpose: string): void {
  if (!(UPLOAD_PURPOSES as readonly string[]).includes(purpose)) {
    throw ApiError.badRequest(
      `Invalid purpose '${purpose}': expected one of ${UPLOAD_PURPOSES.join(", ")}`,
      "purpose",
      "invalid_value",
    );
  }
}

const uploadFile: RouteHandler<typeof uploadRoute, AppEnv> = async (c) => {
  const { storage, config } = c.var.deps;
  const tenant = c.var.tenant;
  const { id, storageKey } = newFileKey(tenant.id);
  const form = await receiveMultipart(c, {
    storage,
    storageKey,
    fileField: "file",
    maxBytes: config.maxUploadBytes,
    checkLines: true,
    digest: c.var.idempotency !== undefined,
    beforeFile: (fields) => {
      if (fields.purpose !== undefined) checkPurpose(fields.purpose);
    },
  });
  try {
    const purpose = form.fields.purpose;
    if (!purpose) throw ApiError.badRequest("Missing required parameter: 'purpose'", "purpose");
    checkPurpose(purpose);
    if (!form.file) throw ApiError.badRequest("Missing required parameter: 'file'", "file");
    let filename: string;
    try {
      filename = checkFilename(form.file.filename);
    } catch (err) {
      throw ApiError.badRequest(`Invalid filename: ${(err as Error).message}`, "file", "invalid_filename");
    }
    const expiresAt = expiry(form.fields);
    const check = form.file.check;
    if (purpose === "fine-tune" && check && check.errors.length > 0) {
      throw ApiError.badRequest(describeDatasetErrors(check), "file", "invalid_file_format");
    }
    const file = form.file;
    const created = await commitCreate(
      c,
      async (tx) =>
        fileObject(
          await insertFile(tx.db, {
            id,
            tenantId: tenant.id,
            filename,
            purpose,
            bytes: file.size,
            storageKey,
            contentType: servableMediaType(file.mimeType),
            examples: purpose === "fine-tune" ? (check?.examples ?? null) : null,
            format: purpose === "fine-tune" ? (check?.format ?? null) : null,
            expiresAt,
          }),
        ),
      { form },
    );
    c.var.log.info({ file: id, bytes: file.size, purpose }, "file stored");
    return c.json(created, 200);
  } catch (err) {
    await storage.delete(storageKey);
    throw err;
  }
};

/** The form's `expires_after[anchor]` and `expires_after[seconds]`, checked by the JSON routes' schema. */
function expiry(fields: Record<string, string>): Date | null {
  const anchor = fields["expires_after[anchor]"];
  const seconds = fields["expires_after[seconds]"];
  if (anchor === undefined && seconds === undefined) return null;
  const parsed = ExpiresAfter.safeParse({
    anchor,
    seconds: seconds === undefined ? undefined : Number(seconds),
  });
  if (!parsed.success) {
    const field = String(parsed.error.issues[0]?.path[0] ?? "seconds");
    throw invalidValue(
      `expires_after.${field}`,
      field === "anchor"
        ? "must be 'created_at'"
        : `must be an integer from ${EXPIRES_AFTER_SECONDS.min} to ${EXPIRES_AFTER_SECONDS.max}`,
    );
  }
  return fileExpiresAt(parsed.data.seconds);
}

export const filesRoutes = newRouter()
  .openapi(listRoute, async (c) => {
    const page = c.req.valid("query");
    const rows = await listFiles(c.var.deps.db.db, c.var.tenant.id, page);
    return c.json(toPage(rows, page.limit, fileObject), 200);
  })
  .openapi(getRoute, async (c) => {
    const { file_id } = c.req.valid("param");
    const row = await findFile(c.var.deps.db.db, c.var.tenant.id, file_id);
    if (!row) throw ApiError.notFound("file", file_id, "file_id");
    return c.json(fileObject(row), 200);
  })
  .openapi(deleteRoute, async (c) => {
    const { file_id } = c.req.valid("param");
    const deleted = await deleteFile(
      { db: c.var.deps.db.db, storage: c.var.deps.storage },
      c.var.tenant.id,
      file_id,
    );
    if (!deleted) throw ApiError.notFound("file", file_id, "file_id");
    return c.json({ id: file_id, object: "file" as const, deleted: true }, 200);
  })
  .openapi(contentRoute, async (c) => {
    const { file_id } = c.req.valid("param");
    const row = await findFile(c.var.deps.db.db, c.var.tenant.id, file_id);
    if (!row) throw ApiError.notFound("file", file_id, "file_id");
    const stream = await c.var.deps.storage.get(row.storageKey);
    return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, {
      status: 200,
      headers: {
        "content-type": servableMediaType(row.contentType),
        "content-length": String(row.bytes),
        "content-disposition": contentDisposition(row.filename),
      },
    });
  })
  .openapi(uploadRoute, uploadFile);
