// The body of GET /metrics in Prometheus' text format. Unauthenticated, as exporters are: keep it off the public
// listener (a Kubernetes Service or the compose network reaches it; see docs/deploy.md).
import type { ServiceMetrics } from "./service-metrics.ts";

export async function metricsResponse(metrics: ServiceMetrics): Promise<Response> {
  try {
    const body = await metrics.registry.metrics();
    return new Response(body, { headers: { "content-type": metrics.registry.contentType } });
  } catch (err) {
    // The queue gauges read the database: without it the scrape fails visibly instead of reporting zeros.
    return new Response(`metrics unavailable: ${(err as Error).message}\n`, {
      status: 503,
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  }
}
