// Every route module builds its router here, so that validation failures everywhere become the one error body.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./env.ts";
import { invalidField } from "./invalid-field.ts";

export function newRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw invalidField(result.error, result.target);
    },
  });
}
