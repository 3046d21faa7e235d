import { z } from "@hono/zod-openapi";
import type { FileRow } from "../../../db/schema/files.ts";

/** Purposes a client may upload with; `fine-tune-results` files are written by the service only. */
export const UPLOAD_PURPOSES = ["fine-tune", "assistants", "batch", "vision", "user_data", "evals"] as const;
export const ALL_PURPOSES = [...UPLOAD_PURPOSES, "fine-tune-results"] as const;

/** OpenAI's file expiry: anchored at the file's creation, from one hour to 30 days. */
export const EXPIRES_AFTER_SECONDS = { min: 3600, max: 2_592_000 } as const;

export const ExpiresAfter = z
  .object({
    anchor: z.literal("created_at"),
    seconds: z.number().int().min(EXPIRES_AFTER_SECONDS.min).max(EXPIRES_AFTER_SECONDS.max),
  })
  .strict()
  .openapi("FileExpiresAfter");

/** When a file created now with `expires_after` of `seconds` (null: never) expires. */
export function fileExpiresAt(seconds: number | null | undefined): Date | null {
  return seconds == null ? null : new Date(Date.now() + seconds * 1000);
}

export const FileObject = z
  .object({
    id: z.string().openapi({ example: "file-3dT2x9QxYy8oVZ0aA1b2C3d4" }),
    object: z.literal("file"),
    bytes: z.number().int(),
    created_at: z.number().int().openapi({ description: "Unix seconds" }),
    expires_at: z.number().int().nullable(),
    filename: z.string(),
    purpose: z.string(),
    status: z.enum(["uploaded", "processed", "error"]),
    status_details: z.string().nullable(),
  })
  .openapi("File");
export type FileObject = z.infer<typeof FileObject>;

export const DeletedFile = z
  .object({ id: z.string(), object: z.literal("file"), deleted: z.boolean() })
  .openapi("FileDeleted");

export const unixSeconds = (d: Date): number => Math.floor(d.getTime() / 1000);

export function fileObject(row: FileRow): FileObject {
  return {
    id: row.id,
    object: "file",
    bytes: row.bytes,
    created_at: unixSeconds(row.createdAt),
    expires_at: row.expiresAt ? unixSeconds(row.expiresAt) : null,
    filename: row.filename,
    purpose: row.purpose,
    status: row.status as FileObject["status"],
    status_details: null,
  };
}

/** OpenAI's rules for a filename, plus ours: no control characters, no path, at most 255 characters. */
export function checkFilename(raw: string | undefined): string {
  const name = (raw ?? "").split(/[/\\]/).pop() ?? "";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(raw ?? ""))
    throw new Error("filename must not contain control characters");
  if (name.trim().length === 0 || name === "." || name === "..")
    throw new Error("filename must not be empty");
  if (name.length > 255) throw new Error("filename must be at most 255 characters");
  return name;
}
