// A worker process's own small HTTP listener: /health for Docker's HEALTHCHECK and Kubernetes' probes, /metrics
// for Prometheus. Workers take no other requests.
import { Hono } from "hono";
import { checkHealth } from "../api/health.ts";
import { metricsResponse } from "../metrics/routes.ts";
import type { RunningWorker } from "../worker/index.ts";
import { type RunningServer, serveFetch } from "./server.ts";
import type { Service } from "./service.ts";

export function startWorkerHttp(
  service: Service,
  worker: RunningWorker,
  opts: { port: number; host: string },
): Promise<RunningServer> {
  let loopEnded = false;
  void worker.drained.finally(() => {
    loopEnded = true;
  });
  const app = new Hono()
    .get("/health", async (c) => {
      const report = { ...(await checkHealth(service)), worker: loopEnded ? "stopped" : "ok" };
      return c.json(report, report.status === "ok" && !loopEnded ? 200 : 503);
    })
    .get("/metrics", () => metricsResponse(service.metrics));
  return serveFetch(app.fetch, opts);
}
