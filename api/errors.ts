// The one error type of the API and the one body every failure is turned into:
// {"error": {"message", "type", "param", "code"}}, as OpenAI's API answers.

import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ZodError } from "zod";
import type { Logger } from "../common/logger.ts";
import { defaultCode, ERROR_CODES, type ErrorCode } from "./error-codes.ts";
import { invalidField } from "./invalid-field.ts";

export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "rate_limit_error"
  /** OpenAI's type for a requests-per-minute 429. */
  | "requests"
  | "server_error";

export interface ErrorBody {
  error: { message: string; type: ErrorType; param: string | null; code: ErrorCode };
}

export class ApiError extends Error {
  readonly type: ErrorType;
  readonly param: string | null;
  readonly code: ErrorCode;

  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
    opts: { type?: ErrorType; param?: string | null; code?: ErrorCode } = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.type = opts.type ?? (status >= 500 ? "server_error" : "invalid_request_error");
    this.param = opts.param ?? null;
    this.code = opts.code ?? defaultCode(status);
  }

  static badRequest(message: string, param: string | null = null, code?: ErrorCode): ApiError {
    return new ApiError(400, message, { param, code });
  }

  static notFound(what: string, id: string, param: string | null = null): ApiError {
    return new ApiError(404, `No such ${what}: '${id}'`, { param, code: "not_found" });
  }

  body(): ErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/**
 * Postgres cannot store a NUL character in text or jsonb: "invalid byte sequence for encoding UTF8: 0x00"
 * (22021) and "unsupported Unicode escape sequence" (22P05). Such a character can only have come from the
 * request (an id in the path, a JSON string), so it is the client's mistake, not the server's.
 */
const UNSTORABLE_TEXT = new Set(["22021", "22P05"]);

/** The SQLSTATE of a database error, also when a driver or drizzle wrapped it (`cause`). */
function sqlState(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** Hono's own failures (body limit, JSON parsing, Content-Type of a validated body) in the API's words. */
function fromHttpException(err: HTTPException): ApiError {
  const status = err.status as ContentfulStatusCode;
  if (status === 413) return new ApiError(413, "Request body too large", { code: "payload_too_large" });
  if (status === 415) return notJson();
  if (/malformed json/i.test(err.message)) return malformedJson();
  return new ApiError(status, err.message || "Bad request");
}

/** The one answer to a body that is not JSON, from Hono's validator or a handler's own parse. */
export function malformedJson(): ApiError {
  return new ApiError(400, "Malformed JSON in request body", { code: "invalid_json" });
}

/** The one answer to a JSON route sent another Content-Type. */
export function notJson(): ApiError {
  return new ApiError(415, "Content-Type must be application/json", { code: "unsupported_media_type" });
}

/** Maps any thrown value to an ApiError; unknown errors are logged and become a 500 without internals. */
export function toApiError(err: unknown, log?: Logger): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof ZodError) return invalidField(err);
  if (UNSTORABLE_TEXT.has(sqlState(err) ?? "")) {
    return new ApiError(400, "Invalid request: text values must not contain NUL (\\u0000) characters", {
      code: "invalid_value",
    });
  }
  if (err instanceof HTTPException) return fromHttpException(err);
  log?.error({ err }, "unhandled error");
  return new ApiError(500, "The server had an error while processing your request.", {
    code: "internal_error",
  });
}

/** The one conflict a retry resolves: the first request under the same Idempotency-Key is still running. */
const RETRYABLE_CONFLICTS: ReadonlySet<ErrorCode> = new Set(["idempotency_key_in_use"]);

export function errorResponse(c: Context, err: ApiError): Response {
  // OpenAI's clients retry every 409 (for them a lock timeout) unless told not to; ours are state conflicts
  // (a finished job, a completed upload) that a retry cannot resolve, but for a key still in use.
  if (err.status === 409) {
    const retry = RETRYABLE_CONFLICTS.has(err.code);
    c.header("x-should-retry", retry ? "true" : "false");
    if (retry) c.header("retry-after", "1");
  }
  return c.json(err.body(), err.status);
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: "Invalid request: the message names the parameter (or dataset line) at fault",
  401: "Missing or wrong API key",
  403: "Not allowed",
  404: "No such object for this tenant",
  409: "Conflicts with the object's state, or the Idempotency-Key's first request is still running",
  413: "Larger than the configured limit",
  415: "Wrong Content-Type",
  422: "Well-formed but unusable (e.g. a model folder that fails validation, an Idempotency-Key reused for another request)",
  429: "Too many requests for this API key (see the retry-after header)",
};

let errorSchema: z.ZodType | undefined;

/** OpenAPI responses for the given statuses, all with the one error body. */
export function errorResponses(...statuses: (keyof typeof ERROR_DESCRIPTIONS)[]) {
  errorSchema ??= z
    .object({
      error: z.object({
        message: z.string(),
        type: z.string(),
        param: z.string().nullable(),
        code: z.string().openapi({
          description: `One of: ${Object.entries(ERROR_CODES)
            .map(([code, meaning]) => `\`${code}\` (${meaning})`)
            .join("; ")}`,
        }),
      }),
    })
    .openapi("Error");
  const out: Record<number, { description: string; content: { "application/json": { schema: z.ZodType } } }> =
    {};
  for (const s of [401, 429, ...statuses]) {
    out[s] = {
      description: ERROR_DESCRIPTIONS[s]!,
      content: { "application/json": { schema: errorSchema } },
    };
  }
  return out;
}
