// The API document's success response of a JSON route; failures are errors.ts's `errorResponses`.
import type { z } from "@hono/zod-openapi";

/** A 200 whose body is `schema`. */
export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { 200: { description, content: { "application/json": { schema } } } };
}
