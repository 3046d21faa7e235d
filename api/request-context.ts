// Gives each request an id (the client's `x-request-id` if sane, else a new one), a child logger carrying it,
// and one access-log line when it ends.
import { randomUUID } from "node:crypto";
import { createMiddleware } from "hono/factory";
import type { AppDeps, AppEnv } from "./env.ts";

export function requestContext(deps: AppDeps) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const given = c.req.header("x-request-id");
    const requestId =
      given && /^[\w.-]{1,128}$/.test(given) ? given : `req_${randomUUID().replaceAll("-", "")}`;
    const log = deps.logger.child({ req_id: requestId });
    c.set("deps", deps);
    c.set("requestId", requestId);
    c.set("log", log);
    const started = performance.now();
    await next();
    c.header("x-request-id", requestId);
    const ms = Math.round((performance.now() - started) * 10) / 10;
    log.info({ method: c.req.method, path: c.req.path, status: c.res.status, ms }, "request");
  });
}
