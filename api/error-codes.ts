// Every `error.code` the API answers with, and what it means: the one list (README "Errors" shows it, and the
// API document lists it under the Error schema). ApiError only takes a code from here; a failure thrown without
// one gets its status's default, so no answer has `code: null`.

export const ERROR_CODES = {
  // 400
  invalid_json: "The request body is not valid JSON",
  invalid_value: "A field has a value outside what it allows; `param` names it",
  missing_parameter: "A required field is missing; `param` names it",
  unknown_parameter:
    "The body has a field the endpoint does not know (e.g. a misspelt one); `param` names it",
  invalid_filename: "The file name is empty, too long or holds control characters",
  invalid_file_format: "A fine-tuning file has bad lines; the message names them",
  invalid_file: "A referenced file does not exist",
  invalid_file_purpose: "A referenced file has the wrong purpose",
  invalid_source: "A model source the service will not read from",
  invalid_url: "A webhook URL the service will not deliver to",
  invalid_multipart: "A multipart body that cannot be parsed, or with a field sent twice",
  bytes_mismatch: "An upload's parts do not add up to the bytes it was created with",
  checksum_mismatch: "An upload's md5 does not match its bytes",
  model_not_supported: "The model cannot be fine-tuned this way",
  header_too_large: "The request line or headers are too large",
  bad_request: "A request the HTTP server could not parse",
  // 401
  missing_api_key: "No API key, or an Authorization header that is not `Bearer <key>`",
  invalid_api_key: "An API key that is not known",
  // 403
  forbidden: "The object may not be changed (e.g. a built-in model)",
  // 404
  not_found: "No such object for this tenant",
  model_not_found: "No such model for this tenant",
  unknown_url: "No such endpoint",
  // 409
  conflict: "Conflicts with the object's state",
  invalid_job_state: "The job's state does not allow this",
  upload_not_pending: "The upload is already completed or cancelled",
  upload_expired: "The upload has expired",
  model_exists: "A model with this id already exists",
  delivery_pending: "The webhook delivery is still scheduled",
  endpoint_disabled: "The webhook endpoint is disabled",
  idempotency_key_in_use: "A request with this Idempotency-Key is still running; retry it",
  // 413
  payload_too_large: "The request body is larger than the limit for its endpoint",
  file_too_large: "The file is larger than the configured limit",
  // 415
  unsupported_media_type: "The Content-Type is not what the endpoint takes",
  // 422
  invalid_model: "A model folder that fails validation; `param` names the file, field or tensor",
  idempotency_key_reused: "The Idempotency-Key was first used for a different request",
  // 429
  rate_limit_exceeded: "Too many requests for this API key (see the retry-after header)",
  // 500
  internal_error: "The server failed; the request may be retried",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The code of a failure thrown without one, by status. */
const DEFAULT_CODE: Record<number, ErrorCode> = {
  400: "invalid_value",
  401: "invalid_api_key",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  422: "invalid_value",
  429: "rate_limit_exceeded",
  431: "header_too_large",
};

export function defaultCode(status: number): ErrorCode {
  return DEFAULT_CODE[status] ?? (status >= 500 ? "internal_error" : "bad_request");
}
