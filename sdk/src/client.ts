// The client: configuration, and the one request path every resource goes through (URL, auth, idempotency key,
// per-attempt timeout, the caller's AbortSignal, retries with back-off, errors by status).
import { readEnv } from "./core/env.ts";
import {
  APIConnectionError,
  APIError,
  APITimeoutError,
  APIUserAbortError,
  GradesError,
} from "./core/errors.ts";
import { type ListBody, PagePromise } from "./core/pagination.ts";
import { DEFAULT_MAX_RETRIES, retryDelayMs, shouldRetryResponse, sleep } from "./core/retry.ts";
import type { RequestOptions } from "./core/types.ts";
import { DEFAULT_UPLOAD_SETTINGS, Files, type UploadSettings } from "./resources/files.ts";
import { FineTuning } from "./resources/fine-tuning/index.ts";
import { Models } from "./resources/models.ts";
import { Uploads } from "./resources/uploads.ts";
import { Webhooks } from "./resources/webhooks.ts";

export const DEFAULT_BASE_URL = "http://localhost:8080/v1";
/** Ten minutes, as openai-node: long enough for a large part upload on a slow link. */
export const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;

export interface ClientOptions {
  /** Defaults to the GRADES_API_KEY environment variable. */
  apiKey?: string | undefined;
  /** The service's `/v1` URL; defaults to GRADES_BASE_URL, then http://localhost:8080/v1. */
  baseURL?: string | undefined;
  /** Milliseconds per attempt (default 10 minutes). */
  timeout?: number | undefined;
  /** Retries after the first attempt on 408, 409, 429, 5xx and connection errors (default 2). */
  maxRetries?: number | undefined;
  /** Secret (`whsec_…`) for `webhooks.unwrap` and `webhooks.verify`; defaults to GRADES_WEBHOOK_SECRET. */
  webhookSecret?: string | undefined;
  /** A fetch implementation (default: the global fetch). */
  fetch?: typeof fetch | undefined;
  /** Headers sent with every request. */
  defaultHeaders?: Record<string, string> | undefined;
  /** When and how `files.create` switches to the Uploads API. */
  uploads?: Partial<UploadSettings> | undefined;
}

/** One request, as the resources describe it. */
export interface APIRequest {
  method: "GET" | "POST" | "DELETE";
  path: string;
  query?: Record<string, unknown> | undefined;
  /** Sent as JSON. */
  body?: unknown;
  /** A body built afresh for each attempt (multipart, streamed uploads); its headers are added. */
  rawBody?: (() => { body: BodyInit; headers?: Record<string, string>; stream?: boolean }) | undefined;
  /** Sends an Idempotency-Key, the same one on every retry of this call. */
  idempotent?: boolean | undefined;
  options?: RequestOptions | undefined;
}

export class Grades {
  readonly apiKey: string;
  readonly baseURL: string;
  readonly timeout: number;
  readonly maxRetries: number;
  readonly webhookSecret: string | undefined;
  readonly uploadSettings: UploadSettings;
  readonly #fetch: typeof fetch;
  readonly #defaultHeaders: Record<string, string>;

  readonly files: Files;
  readonly uploads: Uploads;
  readonly models: Models;
  readonly fineTuning: FineTuning;
  readonly webhooks: Webhooks;
  // webhookEndpoints (/v1/webhook_endpoints) joins here once the service has those routes.

  constructor(opts: ClientOptions = {}) {
    const apiKey = opts.apiKey ?? readEnv("GRADES_API_KEY");
    if (!apiKey) {
      throw new GradesError(
        "Missing API key: pass `apiKey` to the client or set the GRADES_API_KEY environment variable.",
      );
    }
    this.apiKey = apiKey;
    this.baseURL = (opts.baseURL ?? readEnv("GRADES_BASE_URL") ?? DEFAULT_BASE_URL).replace(/\/+$/, "");
    this.timeout = opts.timeout ?? DEFAULT_TIMEOUT_MS;
    this.maxRetries = opts.maxRetries ?? DEFAULT_MAX_RETRIES;
    this.webhookSecret = opts.webhookSecret ?? readEnv("GRADES_WEBHOOK_SECRET");
    this.uploadSettings = { ...DEFAULT_UPLOAD_SETTINGS, ...opts.uploads };
    const f = opts.fetch ?? globalThis.fetch;
    if (!f) throw new GradesError("No fetch implementation: pass `fetch` to the client.");
    // Called unbound: browsers and workers reject a fetch called on another `this`.
    this.#fetch = (input, init) => f.call(undefined, input, init);
    this.#defaultHeaders = opts.defaultHeaders ?? {};

    this.files = new Files(this);
    this.uploads = new Uploads(this);
    this.models = new Models(this);
    this.fineTuning = new FineTuning(this);
    this.webhooks = new Webhooks(this);
  }

  /** A request whose response body is JSON. */
  async request<T>(req: APIRequest): Promise<T> {
    const response = await this.requestResponse(req);
    return (await response.json()) as T;
  }

  /** A `list` call: a page promise that fetches further pages with `after`. */
  list<T extends { id: string }>(
    path: string,
    query: Record<string, unknown> | undefined,
    options?: RequestOptions,
  ): PagePromise<T> {
    return new PagePromise<T>((after) =>
      this.request<ListBody<T>>({
        method: "GET",
        path,
        query: after === undefined ? query : { ...query, after },
        options,
      }),
    );
  }

  /** The response of a successful request (2xx), its body unread; anything else becomes an error. */
  async requestResponse(req: APIRequest): Promise<Response> {
    const options = req.options ?? {};
    const maxRetries = options.maxRetries ?? this.maxRetries;
    const idempotencyKey = req.idempotent ? (options.idempotencyKey ?? newIdempotencyKey()) : undefined;
    const url = this.buildURL(req.path, req.query);
    for (let retry = 0; ; retry++) {
      const canRetry = retry < maxRetries;
      const attempt = await this.attempt(url, req, idempotencyKey);
      if (attempt.response?.ok) return attempt.response;
      if (canRetry && (attempt.response ? shouldRetryResponse(attempt.response) : true)) {
        await attempt.response?.body?.cancel().catch(() => {});
        try {
          await sleep(retryDelayMs(retry + 1, attempt.response?.headers), options.signal);
        } catch {
          throw new APIUserAbortError();
        }
        continue;
      }
      if (attempt.response) throw await errorFromResponse(attempt.response);
      throw attempt.error!;
    }
  }

  private async attempt(
    url: string,
    req: APIRequest,
    idempotencyKey: string | undefined,
  ): Promise<{ response?: Response; error?: APIError }> {
    const options = req.options ?? {};
    const signal = options.signal;
    if (signal?.aborted) throw new APIUserAbortError();
    // The timeout covers the wait for the response headers; the caller's signal also covers reading the body
    // (a long download), so it stays attached to the request after this attempt returns.
    const timeout = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      timeout.abort();
    }, options.timeout ?? this.timeout);
    try {
      const headers: Record<string, string> = {
        accept: "application/json",
        authorization: `Bearer ${this.apiKey}`,
        ...this.#defaultHeaders,
      };
      if (idempotencyKey) headers["idempotency-key"] = idempotencyKey;
      let body: BodyInit | undefined;
      let stream = false;
      if (req.rawBody) {
        const raw = req.rawBody();
        body = raw.body;
        stream = raw.stream ?? false;
        Object.assign(headers, raw.headers);
      } else if (req.body !== undefined) {
        body = JSON.stringify(req.body);
        headers["content-type"] = "application/json";
      }
      Object.assign(headers, options.headers);
      const init: RequestInit & { duplex?: "half" } = {
        method: req.method,
        headers,
        body,
        signal: signal ? anySignal(signal, timeout.signal) : timeout.signal,
      };
      if (stream) init.duplex = "half";
      return { response: await this.#fetch(url, init) };
    } catch (err) {
      if (signal?.aborted) throw new APIUserAbortError();
      if (timedOut) return { error: new APITimeoutError() };
      return { error: new APIConnectionError(undefined, { cause: err }) };
    } finally {
      clearTimeout(timer);
    }
  }

  buildURL(path: string, query?: Record<string, unknown>): string {
    const url = new URL(this.baseURL + path);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value === undefined || value === null) continue;
      if (typeof value === "object") {
        // `metadata: {team: "a"}` → metadata[team]=a, the API's filter syntax.
        for (const [k, v] of Object.entries(value)) url.searchParams.append(`${key}[${k}]`, String(v));
      } else url.searchParams.append(key, String(value));
    }
    return url.toString();
  }
}

async function errorFromResponse(response: Response): Promise<APIError> {
  const text = await response.text().catch(() => "");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return APIError.generate(response.status, body, text || undefined, response.headers);
}

/** Aborts when either signal does (AbortSignal.any where the runtime has it). */
function anySignal(a: AbortSignal, b: AbortSignal): AbortSignal {
  const any = (AbortSignal as { any?: (signals: AbortSignal[]) => AbortSignal }).any;
  if (any) return any([a, b]);
  const both = new AbortController();
  const abort = () => both.abort();
  a.addEventListener("abort", abort, { once: true });
  b.addEventListener("abort", abort, { once: true });
  return both.signal;
}

function newIdempotencyKey(): string {
  return `grades-sdk-${globalThis.crypto.randomUUID()}`;
}
