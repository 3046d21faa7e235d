// When to retry and how long to wait: the same rules as openai-node, so both clients behave alike against this
// service. The server's `x-should-retry` wins; otherwise 408, 409, 429 and 5xx are retried.

export const DEFAULT_MAX_RETRIES = 2;
const INITIAL_DELAY_MS = 500;
const MAX_DELAY_MS = 8_000;
/** A server asking for a longer wait than this is not waited for: the default back-off applies instead. */
const MAX_HONOURED_RETRY_AFTER_MS = 60_000;

export function shouldRetryResponse(response: Response): boolean {
  const told = response.headers.get("x-should-retry");
  if (told === "true") return true;
  if (told === "false") return false;
  const s = response.status;
  return s === 408 || s === 409 || s === 429 || s >= 500;
}

/**
 * Milliseconds before retry number `retry` (1-based): `retry-after-ms`, then `retry-after` (seconds or an HTTP
 * date) when the server sent them, else exponential back-off from 0.5 s, at most 8 s, with up to 25% jitter.
 */
export function retryDelayMs(retry: number, headers?: Headers, random: () => number = Math.random): number {
  const asked = askedDelayMs(headers);
  if (asked !== undefined && asked >= 0 && asked <= MAX_HONOURED_RETRY_AFTER_MS) return asked;
  const base = Math.min(INITIAL_DELAY_MS * 2 ** (retry - 1), MAX_DELAY_MS);
  return base * (1 - random() * 0.25);
}

function askedDelayMs(headers: Headers | undefined): number | undefined {
  const ms = Number.parseFloat(headers?.get("retry-after-ms") ?? "");
  if (!Number.isNaN(ms)) return ms;
  const after = headers?.get("retry-after");
  if (!after) return undefined;
  const seconds = Number.parseFloat(after);
  if (!Number.isNaN(seconds)) return seconds * 1000;
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : date - Date.now();
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
