// Per-call options, accepted as the last argument of every method (as in openai-node).
export interface RequestOptions {
  /** Aborts the call (also while it waits between retries); it then rejects with APIUserAbortError. */
  signal?: AbortSignal | undefined;
  /** Milliseconds per attempt until the response headers arrive; overrides the client's `timeout`. */
  timeout?: number | undefined;
  /** Retries after the first attempt; overrides the client's `maxRetries`. */
  maxRetries?: number | undefined;
  /** Extra request headers. */
  headers?: Record<string, string> | undefined;
  /** The `Idempotency-Key` sent by creates; by default one is generated per call and reused by its retries. */
  idempotencyKey?: string | undefined;
}
