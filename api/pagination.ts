// OpenAI's list shape and cursor parameters, shared by every list endpoint.
import { z } from "@hono/zod-openapi";

export interface ListPage<T extends { id: string }> {
  object: "list";
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

/** `after`/`limit` query parameters; `maxLimit` and `defaultLimit` differ per resource as in OpenAI's API. */
export function listQuery(defaultLimit: number, maxLimit: number) {
  return z.object({
    after: z
      .string()
      .min(1)
      .optional()
      .openapi({ description: "Cursor: the id of the last object of the previous page" }),
    limit: z.coerce.number().int().min(1).max(maxLimit).default(defaultLimit),
  });
}

/** Builds a page from `limit + 1` fetched rows: the extra row only tells that there is more. */
export function toPage<R, T extends { id: string }>(
  rows: R[],
  limit: number,
  map: (row: R) => T,
): ListPage<T> {
  const data = rows.slice(0, limit).map(map);
  return {
    object: "list",
    data,
    first_id: data[0]?.id ?? null,
    last_id: data[data.length - 1]?.id ?? null,
    has_more: rows.length > limit,
  };
}

export function listSchema<T extends z.ZodType>(item: T, name: string) {
  return z
    .object({
      object: z.literal("list"),
      data: z.array(item),
      first_id: z.string().nullable(),
      last_id: z.string().nullable(),
      has_more: z.boolean(),
    })
    .openapi(name);
}
