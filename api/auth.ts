// Bearer-key authentication: every /v1 request names its tenant through its API key.
import { createMiddleware } from "hono/factory";
import { findKeyOwner } from "../db/keys.ts";
import type { AppEnv } from "./env.ts";
import { ApiError } from "./errors.ts";

export const requireApiKey = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("authorization");
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  if (!match?.[1]) {
    throw new ApiError(
      401,
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
      { code: "missing_api_key" },
    );
  }
  const owner = await findKeyOwner(c.var.deps.db.db, match[1]);
  if (!owner) {
    throw new ApiError(401, "Incorrect API key provided.", { code: "invalid_api_key" });
  }
  c.set("tenant", { id: owner.tenantId, name: owner.tenantName, keyId: owner.keyId });
  c.set("log", c.var.log.child({ tenant: owner.tenantName }));
  await next();
});
