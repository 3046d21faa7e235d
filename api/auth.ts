// Bearer-key authentication: every /v1 request names its tenant through its API key.
import { createMiddleware } from "hono/factory";
import { findKeyOwner } from "../db/keys.ts";
import type { AppEnv } from "./env.ts";
import { ApiError } from "./errors.ts";

const USAGE =
  "Provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).";

/** The key of `Authorization: Bearer <key>`; any other header is told what is wrong with it. */
function bearerKey(header: string | undefined): string {
  const fail = (what: string) => new ApiError(401, `${what} ${USAGE}`, { code: "missing_api_key" });
  const value = header?.trim() ?? "";
  if (!value) throw fail("You didn't provide an API key.");
  const [scheme, ...rest] = value.split(/\s+/);
  if (scheme?.toLowerCase() !== "bearer") {
    throw fail(`The Authorization header uses the '${scheme!.slice(0, 20)}' scheme, not Bearer.`);
  }
  if (rest.length === 0) throw fail("The Authorization header has no API key after 'Bearer'.");
  if (rest.length > 1) {
    throw fail(
      `The Authorization header has ${rest.length} words after 'Bearer'; an API key is one word, with no spaces.`,
    );
  }
  return rest[0]!;
}

export const requireApiKey = createMiddleware<AppEnv>(async (c, next) => {
  const key = bearerKey(c.req.header("authorization"));
  const owner = await findKeyOwner(c.var.deps.db.db, key);
  if (!owner) {
    throw new ApiError(401, "Incorrect API key provided.", { code: "invalid_api_key" });
  }
  c.set("tenant", { id: owner.tenantId, name: owner.tenantName, keyId: owner.keyId });
  c.set("log", c.var.log.child({ tenant: owner.tenantName }));
  await next();
});
