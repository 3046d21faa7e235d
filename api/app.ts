// The API: one factory building the Hono app from explicit dependencies. Runs on Node (infra/api.ts,
// infra/start.ts) and anywhere Hono runs; it keeps no state of its own between requests.
import { sql } from "drizzle-orm";
import { requireApiKey } from "./auth.ts";
import { mountDocs } from "./docs.ts";
import type { AppDeps } from "./env.ts";
import { ApiError, errorResponse, toApiError } from "./errors.ts";
import { limitJsonBodies } from "./json-limit.ts";
import { RateLimiter, rateLimit } from "./rate-limit.ts";
import { requestContext } from "./request-context.ts";
import { newRouter } from "./router.ts";
import { filesRoutes } from "./routes/files/index.ts";
import { fineTuningRoutes } from "./routes/fine-tuning/index.ts";
import { modelsRoutes } from "./routes/models/index.ts";
import { uploadsRoutes } from "./routes/uploads/index.ts";
import { webhookEndpointsRoutes } from "./routes/webhook-endpoints/index.ts";

export const API_VERSION = "0.1.0";

export function createApp(deps: AppDeps) {
  const app = newRouter();

  app.use("*", requestContext(deps));
  app.use("/v1/*", requireApiKey);
  // In memory, per app instance: with several API instances the effective limit is per instance.
  app.use("/v1/*", rateLimit(new RateLimiter({ perMinute: deps.config.rateLimitPerMinute })));
  app.use("/v1/*", limitJsonBodies);

  app.get("/health", async (c) => {
    const [database, storage] = await Promise.all([
      deps.db.db.execute(sql`select 1`).then(
        () => "ok",
        (err: Error) => `error: ${err.message}`,
      ),
      deps.storage.ping().then(
        () => "ok",
        (err: Error) => `error: ${err.message}`,
      ),
    ]);
    const ok = database === "ok" && storage === "ok";
    return c.json({ status: ok ? "ok" : "degraded", database, storage }, ok ? 200 : 503);
  });

  const routes = app
    .route("/v1", filesRoutes)
    .route("/v1", uploadsRoutes)
    .route("/v1", modelsRoutes)
    .route("/v1", fineTuningRoutes)
    .route("/v1", webhookEndpointsRoutes);
  // Mount further resources here.

  app.openAPIRegistry.registerComponent("securitySchemes", "ApiKey", { type: "http", scheme: "bearer" });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "grades-finetune API",
      version: API_VERSION,
      description:
        "OpenAI-compatible fine-tuning service with GradES (gradient-based early stopping per weight matrix). " +
        "Authenticate with `Authorization: Bearer <API key>`.",
    },
    security: [{ ApiKey: [] }],
  });
  mountDocs(app, { specUrl: "/openapi.json", title: "grades-finetune API" });

  app.notFound((c) =>
    errorResponse(
      c,
      new ApiError(404, `Unknown request URL: ${c.req.method} ${new URL(c.req.url).pathname}.`, {
        code: "unknown_url",
      }),
    ),
  );
  app.onError((err, c) => {
    const apiErr = toApiError(err, c.var.log ?? deps.logger);
    if (apiErr.status >= 500) c.var.log?.error({ err }, "request failed");
    return errorResponse(c, apiErr);
  });
  return routes;
}

export type App = ReturnType<typeof createApp>;
