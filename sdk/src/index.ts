// @grades-finetune/sdk: the typed client of the grades-finetune service.
import { Grades } from "./client.ts";

export {
  type APIRequest,
  type ClientOptions,
  DEFAULT_BASE_URL,
  DEFAULT_TIMEOUT_MS,
  Grades,
} from "./client.ts";
export {
  APIConnectionError,
  APIError,
  APITimeoutError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  type ErrorBody,
  GradesError,
  InternalServerError,
  NotFoundError,
  PayloadTooLargeError,
  PermissionDeniedError,
  RateLimitError,
  UnprocessableEntityError,
  WebhookVerificationError,
} from "./core/errors.ts";
export { CursorPage, type ListBody, PagePromise } from "./core/pagination.ts";
export { readTar, readTarGz, type TarEntry, TarError } from "./core/tar.ts";
export type { RequestOptions } from "./core/types.ts";
export type { Uploadable } from "./core/uploadable.ts";
export {
  DEFAULT_UPLOAD_SETTINGS,
  type FileCreateParams,
  type UploadProgress,
  type UploadSettings,
} from "./resources/files.ts";
export type { AdapterDownloadParams, AdapterFolder } from "./resources/fine-tuning/jobs.ts";
export {
  isTerminal,
  type JobFollowOptions,
  type JobProgress,
  type JobWaitOptions,
  TERMINAL_STATUSES,
} from "./resources/fine-tuning/watch.ts";
export type { PartCreateParams, UploadFileParams } from "./resources/uploads.ts";
export {
  WEBHOOK_TOLERANCE_SECONDS,
  type WebhookEvent,
  type WebhookHeaders,
  type WebhookVerifyOptions,
} from "./resources/webhooks.ts";
export type * from "./types.ts";

export default Grades;
