// Streams a multipart/form-data request's one file part straight into object storage (busboy), counting bytes
// and optionally checking dataset lines on the way; the other fields are collected as strings.
import { pipeline, Readable } from "node:stream";
import { z } from "@hono/zod-openapi";
import busboy from "busboy";
import type { Context } from "hono";
import type { ObjectStorage } from "../db/storage/types.ts";
import type { DatasetCheck } from "../worker/engine/index.ts";
import { ByteCounter, SizeLimitError } from "./datasets/byte-limit.ts";
import { checkDatasetStream } from "./datasets/check-stream.ts";
import { ApiError } from "./errors.ts";
import { hashingStream } from "./hash-stream.ts";

export interface ReceivedFile {
  filename: string;
  mimeType: string;
  size: number;
  /** Present when asked for with `checkLines`. */
  check: DatasetCheck | undefined;
  /** Hex sha256 of the file's bytes, when asked for with `digest`. */
  sha256: string | undefined;
}

export interface ReceivedForm {
  fields: Record<string, string>;
  /** Undefined when the request had no part named `fileField`. */
  file: ReceivedFile | undefined;
}

export interface ReceiveOptions {
  storage: ObjectStorage;
  /** Where the file part goes; the caller deletes it if it rejects the request afterwards. */
  storageKey: string;
  fileField: string;
  maxBytes: number;
  checkLines: boolean;
  /** Hash the file's bytes on the way to storage (an idempotent create's fingerprint). */
  digest?: boolean;
  /** Checks the fields sent before the file part (e.g. a bad purpose), to refuse before reading the file. */
  beforeFile?: (fields: Record<string, string>) => void;
}

/**
 * A streamed multipart body's OpenAPI schema: the zod object as JSON Schema. A route that declares it (rather
 * than the zod object itself) documents its fields without getting a validator, which would read the whole
 * body into memory before the handler streams it.
 */
export function streamedFormSchema(form: z.ZodObject) {
  const { $schema: _, ...schema } = z.toJSONSchema(form, { io: "input" });
  return schema as { type: "object" } & Record<string, unknown>;
}

/** A file part (the one the route takes, refused when sent twice) and a few short fields. */
const MULTIPART_LIMITS = { files: 2, fields: 20, fieldSize: 64 * 1024, parts: 40 };

function twice(name: string): ApiError {
  return ApiError.badRequest(
    `'${name}' is sent more than once in the multipart request; send it once`,
    name,
    "invalid_multipart",
  );
}

/** Room for the other fields and multipart boundaries when comparing Content-Length with the file limit. */
const FORM_OVERHEAD = 64 * 1024;

export async function receiveMultipart(c: Context, opts: ReceiveOptions): Promise<ReceivedForm> {
  const contentType = c.req.header("content-type") ?? "";
  if (!/^multipart\/form-data/i.test(contentType)) {
    throw new ApiError(415, "Content-Type must be multipart/form-data", { code: "unsupported_media_type" });
  }
  const declared = Number(c.req.header("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > opts.maxBytes + FORM_OVERHEAD) {
    throw tooLarge(opts.maxBytes);
  }
  const body = c.req.raw.body;
  if (!body) throw ApiError.badRequest("The request has no body", opts.fileField);

  let bb: busboy.Busboy;
  try {
    bb = busboy({
      headers: { "content-type": contentType },
      limits: MULTIPART_LIMITS,
      defParamCharset: "utf8",
    });
  } catch (err) {
    throw ApiError.badRequest(`Malformed multipart request: ${(err as Error).message}`);
  }
  const source = Readable.fromWeb(body as import("node:stream/web").ReadableStream<Uint8Array>);
  const fields: Record<string, string> = {};
  let filePart: Promise<ReceivedFile> | undefined;
  let fileStream: Readable | undefined;

  const parsed = new Promise<void>((resolve, reject) => {
    /** Refuses the request: stops reading it and settles the wait below. */
    const refuse = (err: unknown, stream?: Readable) => {
      stream?.resume();
      source.unpipe(bb);
      source.destroy();
      reject(err);
    };
    // Every part is used or refused, never dropped: a second `file`, a repeated field, or a limit reached would
    // otherwise leave the request half-read with no word to the client.
    bb.on("field", (name, value, info) => {
      if (name in fields) return refuse(twice(name));
      if (info.valueTruncated) {
        return refuse(
          ApiError.badRequest(`Field '${name}' is longer than ${MULTIPART_LIMITS.fieldSize} bytes`, name),
        );
      }
      fields[name] = value;
    });
    for (const limit of ["partsLimit", "filesLimit", "fieldsLimit"] as const) {
      bb.on(limit, () =>
        refuse(
          ApiError.badRequest(
            `Too many parts in the multipart request: at most ${MULTIPART_LIMITS.fields} fields and one file`,
            null,
            "invalid_multipart",
          ),
        ),
      );
    }
    bb.on("file", (name, stream, info) => {
      if (name !== opts.fileField) {
        return refuse(
          new ApiError(400, `Unrecognized request argument supplied: ${name} (a file part)`, {
            param: name,
            code: "unknown_parameter",
          }),
          stream,
        );
      }
      if (filePart) return refuse(twice(name), stream);
      try {
        opts.beforeFile?.(fields);
      } catch (err) {
        return refuse(err, stream);
      }
      fileStream = stream;
      const counter = new ByteCounter(opts.maxBytes);
      const check = opts.checkLines ? checkDatasetStream() : undefined;
      const hashed = opts.digest ? hashingStream("sha256") : undefined;
      // pipeline() wires errors both ways: a failure anywhere destroys every stage, and the storage put, which
      // reads the last stage, fails with it. Its callback only keeps the error from going unhandled.
      const stages = [counter, ...(hashed ? [hashed.transform] : []), ...(check ? [check.transform] : [])];
      // pipeline() returns its last stage, a Transform: readable.
      const piped = pipeline([stream, ...stages], () => {}) as unknown as Readable;
      const part = (async (): Promise<ReceivedFile> => {
        try {
          const { size } = await opts.storage.put(opts.storageKey, piped, { contentType: info.mimeType });
          return {
            filename: info.filename ?? "",
            mimeType: info.mimeType,
            size,
            check: check ? await check.result : undefined,
            sha256: hashed?.digest(),
          };
        } catch (err) {
          // Stop reading the rest of the request: nothing more of it will be kept.
          stream.resume();
          source.unpipe(bb);
          source.destroy();
          if (err instanceof SizeLimitError || counter.bytes > opts.maxBytes) throw tooLarge(opts.maxBytes);
          throw err;
        }
      })();
      // Settle bb's wait below once the file part fails, rather than waiting for a body that is no longer read.
      part.catch(reject);
      filePart = part;
    });
    bb.on("close", () => resolve());
    bb.on("error", (err) => {
      fileStream?.destroy(err as Error);
      reject(ApiError.badRequest(`Malformed multipart request: ${(err as Error).message}`));
    });
    // A client that goes away mid-upload: fail the file part too, so the storage put stops and cleans up.
    source.on("error", (err) => {
      fileStream?.destroy(err);
      reject(err);
    });
  });
  source.pipe(bb);

  try {
    await parsed;
    const file = filePart ? await filePart : undefined;
    return { fields, file };
  } catch (err) {
    // A part may already be stored when a later part of the request fails.
    await filePart?.catch(() => undefined);
    await opts.storage.delete(opts.storageKey).catch(() => undefined);
    throw err;
  }
}

function tooLarge(limit: number): ApiError {
  return new ApiError(413, `File is too large: the maximum size is ${limit} bytes`, {
    param: "file",
    code: "file_too_large",
  });
}
