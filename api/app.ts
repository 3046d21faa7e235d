// The API: one factory building the Hono app from explicit dependencies. Runs on Node (infra/api.ts,
// infra/start.ts) and anywhere Hono runs; it keeps no state of its own between requests.
import { createRoute, z } from "@hono/zod-openapi";
import { metricsResponse } from "../metrics/routes.ts";
import { requireApiKey } from "./auth.ts";
import { mountDocs } from "./docs.ts";
import type { AppDeps } from "./env.ts";
import { ApiError, errorResponse, toApiError } from "./errors.ts";
import { checkHealth } from "./health.ts";
import { IdempotentReplay, replayResponse } from "./idempotency/middleware.ts";
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

const Health = z
  .object({
    status: z.enum(["ok", "degraded"]),
    database: z.string().openapi({ description: "`ok`, or the error reaching the database" }),
    storage: z.string().openapi({ description: "`ok`, or the error reaching object storage" }),
  })
  .openapi("Health");

const healthRoute = createRoute({
  method: "get",
  path: "/health",
  summary: "Whether the database and object storage are reachable (no API key needed)",
  tags: ["Service"],
  security: [],
  responses: {
    200: { description: "Both reachable", content: { "application/json": { schema: Health } } },
    503: { description: "Degraded: one of them is not", content: { "application/json": { schema: Health } } },
  },
});

export function createApp(deps: AppDeps) {
  const app = newRouter();

  app.use("*", requestContext(deps));
  app.use("/v1/*", requireApiKey);
  // In memory, per app instance: with several API instances the effective limit is per instance.
  app.use("/v1/*", rateLimit(new RateLimiter({ perMinute: deps.config.rateLimitPerMinute })));
  app.use("/v1/*", limitJsonBodies);

  app.openapi(healthRoute, async (c) => {
    const report = await checkHealth(deps);
    return report.status === "ok"
      ? c.json({ ...report, status: "ok" as const }, 200)
      : c.json({ ...report, status: "degraded" as const }, 503);
  });
  const { metrics } = deps;
  if (metrics) app.get("/metrics", () => metricsResponse(metrics));

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
    if (err instanceof IdempotentReplay) return replayResponse(c, err.row);
    const apiErr = toApiError(err, c.var.log ?? deps.logger);
    if (apiErr.status >= 500) c.var.log?.error({ err }, "request failed");
    return errorResponse(c, apiErr);
  });
  return routes;
}

export type App = ReturnType<typeof createApp>;
