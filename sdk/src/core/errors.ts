// One error class per kind of failure, as openai-node has them: the API's error body
// `{"error": {"message", "type", "param", "code"}}` is unpacked onto the error, and the class says the status.

export class GradesError extends Error {
  override name = "GradesError";
}

/** The API's one error body. */
export interface ErrorBody {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

export class APIError extends GradesError {
  override name = "APIError";
  /** HTTP status; undefined when no response arrived (connection failure, timeout, abort). */
  readonly status: number | undefined;
  readonly headers: Headers | undefined;
  /** The `error` object of the response body, when there was one. */
  readonly error: ErrorBody | undefined;
  readonly type: string | null;
  /** The request field at fault (`method.supervised.hyperparameters.n_epochs`, `file`). */
  readonly param: string | null;
  /** A stable machine-readable code (`invalid_value`, `not_found`, `rate_limit_exceeded`). */
  readonly code: string | null;
  /** The service's `x-request-id`, for its logs. */
  readonly requestId: string | null;

  constructor(
    status: number | undefined,
    error: ErrorBody | undefined,
    message: string | undefined,
    headers: Headers | undefined,
  ) {
    super(APIError.describe(status, error, message));
    this.status = status;
    this.headers = headers;
    this.error = error;
    this.type = error?.type ?? null;
    this.param = error?.param ?? null;
    this.code = error?.code ?? null;
    this.requestId = headers?.get("x-request-id") ?? null;
  }

  private static describe(status: number | undefined, error: ErrorBody | undefined, message?: string) {
    const text = error?.message ?? message;
    if (status && text) return `${status} ${text}`;
    if (status) return `${status} status code (no body)`;
    return text ?? "(no status code or body)";
  }

  /** The error for a response with a non-2xx status. */
  static generate(status: number, body: unknown, message: string | undefined, headers: Headers): APIError {
    const error = errorBodyOf(body);
    const Class = classForStatus(status);
    return new Class(status, error, message, headers);
  }
}

function errorBodyOf(body: unknown): ErrorBody | undefined {
  const e = (body as { error?: unknown } | null)?.error;
  if (!e || typeof e !== "object") return undefined;
  const o = e as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === "string" ? v : null);
  return { message: str(o.message) ?? "", type: str(o.type) ?? "", param: str(o.param), code: str(o.code) };
}

export class BadRequestError extends APIError {
  override name = "BadRequestError";
}
export class AuthenticationError extends APIError {
  override name = "AuthenticationError";
}
export class PermissionDeniedError extends APIError {
  override name = "PermissionDeniedError";
}
export class NotFoundError extends APIError {
  override name = "NotFoundError";
}
export class ConflictError extends APIError {
  override name = "ConflictError";
}
export class PayloadTooLargeError extends APIError {
  override name = "PayloadTooLargeError";
}
export class UnprocessableEntityError extends APIError {
  override name = "UnprocessableEntityError";
}
export class RateLimitError extends APIError {
  override name = "RateLimitError";
}
export class InternalServerError extends APIError {
  override name = "InternalServerError";
}

type APIErrorClass = new (
  status: number | undefined,
  error: ErrorBody | undefined,
  message: string | undefined,
  headers: Headers | undefined,
) => APIError;

const BY_STATUS: Record<number, APIErrorClass> = {
  400: BadRequestError,
  401: AuthenticationError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  413: PayloadTooLargeError,
  422: UnprocessableEntityError,
  429: RateLimitError,
};

function classForStatus(status: number): APIErrorClass {
  return BY_STATUS[status] ?? (status >= 500 ? InternalServerError : APIError);
}

/** The caller's AbortSignal fired. */
export class APIUserAbortError extends APIError {
  override name = "APIUserAbortError";
  constructor(message = "Request was aborted.") {
    super(undefined, undefined, message, undefined);
  }
}

/** No response: the connection failed (after the retries). */
export class APIConnectionError extends APIError {
  override name = "APIConnectionError";
  constructor(message = "Connection error.", options?: { cause?: unknown }) {
    super(undefined, undefined, message, undefined);
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

/** No response within the timeout (after the retries). */
export class APITimeoutError extends APIConnectionError {
  override name = "APITimeoutError";
  constructor(message = "Request timed out.") {
    super(message);
  }
}

/** A webhook whose signature, timestamp or headers do not check out. */
export class WebhookVerificationError extends GradesError {
  override name = "WebhookVerificationError";
}
