import { z } from "@hono/zod-openapi";
import type { FileRow } from "../../../db/schema/files.ts";
import type { UploadPartRow, UploadRow } from "../../../db/schema/uploads.ts";
import { isMediaType } from "../../header-values.ts";
import { ExpiresAfter, FileObject, fileObject, UPLOAD_PURPOSES, unixSeconds } from "../files/schemas.ts";

export const CreateUploadBody = z
  .object({
    bytes: z.number().int().positive(),
    filename: z.string().min(1).max(255),
    mime_type: z
      .string()
      .refine(isMediaType, "must be a media type such as text/jsonl (ASCII, no line breaks)")
      .openapi({ example: "text/jsonl" }),
    purpose: z.enum(UPLOAD_PURPOSES),
    expires_after: ExpiresAfter.optional(),
  })
  .strict()
  .openapi("CreateUpload");

export const CompleteUploadBody = z
  .object({
    part_ids: z.array(z.string().min(1)).min(1),
    md5: z.string().optional(),
  })
  .strict()
  .openapi("CompleteUpload");

export const UploadObject = z
  .object({
    id: z.string(),
    object: z.literal("upload"),
    bytes: z.number().int(),
    created_at: z.number().int(),
    expires_at: z.number().int(),
    filename: z.string(),
    purpose: z.string(),
    status: z.enum(["pending", "completed", "cancelled", "expired"]),
    file: FileObject.nullable(),
  })
  .openapi("Upload");

export const UploadPartObject = z
  .object({
    id: z.string(),
    object: z.literal("upload.part"),
    created_at: z.number().int(),
    upload_id: z.string(),
  })
  .openapi("UploadPart");

export function uploadObject(row: UploadRow, file: FileRow | undefined | null): z.infer<typeof UploadObject> {
  const expired = row.status === "pending" && row.expiresAt.getTime() <= Date.now();
  return {
    id: row.id,
    object: "upload",
    bytes: row.bytes,
    created_at: unixSeconds(row.createdAt),
    expires_at: unixSeconds(row.expiresAt),
    filename: row.filename,
    purpose: row.purpose,
    status: expired ? "expired" : (row.status as "pending" | "completed" | "cancelled"),
    file: file ? fileObject(file) : null,
  };
}

export function partObject(row: UploadPartRow): z.infer<typeof UploadPartObject> {
  return {
    id: row.id,
    object: "upload.part",
    created_at: unixSeconds(row.createdAt),
    upload_id: row.uploadId,
  };
}
