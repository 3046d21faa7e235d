// The Idempotency-Key header: its one rule (1 to 255 printable ASCII characters, as Stripe's) and how the API
// document describes it on every create.
import type { Context } from "hono";
import { invalidValue } from "../invalid-field.ts";

export const IDEMPOTENCY_HEADER = "Idempotency-Key";
export const MAX_IDEMPOTENCY_KEY_CHARS = 255;

const KEY = new RegExp(`^[\\x20-\\x7e]{1,${MAX_IDEMPOTENCY_KEY_CHARS}}$`);

/** The request's key; undefined without the header; a 400 naming the header for a key that breaks the rule. */
export function idempotencyKeyOf(c: Context): string | undefined {
  const value = c.req.header(IDEMPOTENCY_HEADER);
  if (value === undefined) return undefined;
  if (!KEY.test(value)) {
    throw invalidValue(
      IDEMPOTENCY_HEADER,
      `must be 1 to ${MAX_IDEMPOTENCY_KEY_CHARS} printable ASCII characters (got ${value.length} characters)`,
      { where: " (in header)" },
    );
  }
  return value;
}

/** The header as an OpenAPI parameter of a create. */
export const idempotencyKeyParameter = {
  name: IDEMPOTENCY_HEADER,
  in: "header" as const,
  required: false,
  description:
    "Makes a retried create safe: a request repeating a key (with the same method, path and body) within the " +
    "retention time answers the first response, header `Idempotent-Replayed: true`, and creates nothing. The " +
    "same key with another request is a 422 `idempotency_key_reused`; while the first is still running, a 409 " +
    "`idempotency_key_in_use` (retry it). A failed request records nothing. Keys are per tenant.",
  schema: { type: "string" as const, minLength: 1, maxLength: MAX_IDEMPOTENCY_KEY_CHARS },
};
