// /v1/webhook_endpoints: register endpoints, rotate their secrets, read the delivery log, redeliver, and send
// test events. Every query is scoped to the caller's tenant: another tenant's endpoint is a 404.
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { deliveryExists, listAttempts, redeliver, sendTestEvent } from "../../../db/webhooks/deliveries.ts";
import {
  createEndpoint,
  deleteEndpoint,
  findEndpoint,
  listEndpoints,
  rotateSecret,
  updateEndpoint,
} from "../../../db/webhooks/endpoints.ts";
import { secretBox } from "../../../db/webhooks/secrets.ts";
import { checkTarget, TargetRefused } from "../../../db/webhooks/url-policy.ts";
import type { AppEnv } from "../../env.ts";
import { ApiError, errorResponses } from "../../errors.ts";
import { commitCreate } from "../../idempotency/commit.ts";
import { IDEMPOTENCY_STATUSES, idempotentCreate } from "../../idempotency/middleware.ts";
import { listQuery, listSchema, toPage } from "../../pagination.ts";
import { jsonResponse } from "../../responses.ts";
import { newRouter } from "../../router.ts";
import {
  AttemptObject,
  attemptObject,
  CreateEndpointBody,
  DeletedEndpoint,
  DeliveryObject,
  deliveryObject,
  EndpointObject,
  endpointObject,
  RotateSecretBody,
  storedEvents,
  UpdateEndpointBody,
} from "./schemas.ts";

const tags = ["Webhooks"];
const EndpointParam = z.object({
  webhook_endpoint_id: z.string().openapi({ param: { name: "webhook_endpoint_id", in: "path" } }),
});
const DeliveryParam = EndpointParam.extend({
  delivery_id: z.string().openapi({ param: { name: "delivery_id", in: "path" } }),
});
const body = <T extends z.ZodType>(schema: T, required = true) => ({
  body: { required, content: { "application/json": { schema } } },
});
const byId = "/webhook_endpoints/{webhook_endpoint_id}";

const createRoute_ = createRoute({
  method: "post",
  path: "/webhook_endpoints",
  summary: "Create a webhook endpoint; the answer carries its signing secret, shown only here",
  tags,
  request: body(CreateEndpointBody),
  // The answer holds the endpoint's secret: its recorded copy is sealed like the secret itself.
  ...idempotentCreate({ body: "json", sealed: true }),
  responses: {
    ...errorResponses(400, ...IDEMPOTENCY_STATUSES),
    ...jsonResponse(EndpointObject, "The endpoint, with `secret`"),
  },
});
const listRoute = createRoute({
  method: "get",
  path: "/webhook_endpoints",
  summary: "List webhook endpoints (newest first)",
  tags,
  request: { query: listQuery(20, 100) },
  responses: {
    ...errorResponses(400),
    ...jsonResponse(listSchema(EndpointObject, "WebhookEndpointList"), "A page"),
  },
});
const getRoute = createRoute({
  method: "get",
  path: byId,
  summary: "Retrieve a webhook endpoint",
  tags,
  request: { params: EndpointParam },
  responses: { ...errorResponses(404), ...jsonResponse(EndpointObject, "The endpoint") },
});
const updateRoute = createRoute({
  method: "post",
  path: byId,
  summary: "Update a webhook endpoint (enabling it again clears `disabled_reason`)",
  tags,
  request: { params: EndpointParam, ...body(UpdateEndpointBody) },
  responses: { ...errorResponses(400, 404), ...jsonResponse(EndpointObject, "The endpoint") },
});
const deleteRoute = createRoute({
  method: "delete",
  path: byId,
  summary: "Delete a webhook endpoint and its delivery log",
  tags,
  request: { params: EndpointParam },
  responses: { ...errorResponses(404), ...jsonResponse(DeletedEndpoint, "Deleted") },
});
const rotateRoute = createRoute({
  method: "post",
  path: `${byId}/rotate_secret`,
  summary: "Rotate the signing secret; both secrets sign deliveries during the overlap",
  tags,
  request: { params: EndpointParam, ...body(RotateSecretBody, false) },
  responses: {
    ...errorResponses(400, 404),
    ...jsonResponse(EndpointObject, "The endpoint, with the new `secret`"),
  },
});
const attemptsRoute = createRoute({
  method: "get",
  path: `${byId}/deliveries`,
  summary:
    "List delivery attempts (newest first): time, HTTP status, latency, the answer's first bytes, error",
  tags,
  request: { params: EndpointParam, query: listQuery(20, 100) },
  responses: {
    ...errorResponses(400, 404),
    ...jsonResponse(listSchema(AttemptObject, "WebhookDeliveryAttemptList"), "A page of attempts"),
  },
});
const redeliverRoute = createRoute({
  method: "post",
  path: `${byId}/deliveries/{delivery_id}/redeliver`,
  summary: "Send a delivery again (same event id), with a fresh retry schedule",
  tags,
  request: { params: DeliveryParam },
  responses: { ...errorResponses(404, 409), ...jsonResponse(DeliveryObject, "The scheduled delivery") },
});
const testRoute = createRoute({
  method: "post",
  path: `${byId}/test`,
  summary: "Send a test event (type webhook_endpoint.test) to this endpoint",
  tags,
  request: { params: EndpointParam },
  responses: { ...errorResponses(404, 409), ...jsonResponse(DeliveryObject, "The scheduled delivery") },
});

/** The URL rule (db/webhooks/url-policy.ts) as a 400 naming `url`. */
async function vetUrl(c: Context<AppEnv>, url: string): Promise<string> {
  try {
    return (
      await checkTarget(url, { allowPrivateTargets: c.var.deps.config.webhooks.allowPrivateTargets })
    ).toString();
  } catch (err) {
    if (err instanceof TargetRefused)
      throw ApiError.badRequest(`Invalid url: ${err.message}`, "url", "invalid_url");
    throw err;
  }
}

async function ownEndpoint(c: Context<AppEnv>, id: string) {
  const row = await findEndpoint(c.var.deps.db.db, c.var.tenant.id, id);
  if (!row) throw ApiError.notFound("webhook endpoint", id, "webhook_endpoint_id");
  return row;
}

export const webhookEndpointsRoutes = newRouter()
  .openapi(createRoute_, async (c) => {
    const input = c.req.valid("json");
    const endpoint = {
      url: await vetUrl(c, input.url),
      events: storedEvents(input.events),
      description: input.description ?? null,
      enabled: input.enabled,
    };
    const created = await commitCreate(c, async (tx) => {
      const box = secretBox(c.var.deps.config.webhooks);
      const { row, secret } = await createEndpoint(tx.db, box, c.var.tenant.id, endpoint);
      return endpointObject(row, secret);
    });
    return c.json(created, 200);
  })
  .openapi(listRoute, async (c) => {
    const { after, limit } = c.req.valid("query");
    const rows = await listEndpoints(c.var.deps.db.db, c.var.tenant.id, { after, limit });
    return c.json(
      toPage(rows, limit, (r) => endpointObject(r)),
      200,
    );
  })
  .openapi(getRoute, async (c) => {
    const row = await ownEndpoint(c, c.req.valid("param").webhook_endpoint_id);
    return c.json(endpointObject(row), 200);
  })
  .openapi(updateRoute, async (c) => {
    const id = c.req.valid("param").webhook_endpoint_id;
    const input = c.req.valid("json");
    await ownEndpoint(c, id);
    const row = await updateEndpoint(c.var.deps.db.db, c.var.tenant.id, id, {
      ...(input.url !== undefined ? { url: await vetUrl(c, input.url) } : {}),
      ...(input.events !== undefined ? { events: storedEvents(input.events) } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
    });
    if (!row) throw ApiError.notFound("webhook endpoint", id, "webhook_endpoint_id");
    return c.json(endpointObject(row), 200);
  })
  .openapi(deleteRoute, async (c) => {
    const id = c.req.valid("param").webhook_endpoint_id;
    if (!(await deleteEndpoint(c.var.deps.db.db, c.var.tenant.id, id)))
      throw ApiError.notFound("webhook endpoint", id, "webhook_endpoint_id");
    return c.json({ id, object: "webhook_endpoint" as const, deleted: true }, 200);
  })
  .openapi(rotateRoute, async (c) => {
    const id = c.req.valid("param").webhook_endpoint_id;
    const cfg = c.var.deps.config.webhooks;
    const overlap = c.req.valid("json")?.overlap_seconds ?? cfg.rotationOverlapSeconds;
    const rotated = await rotateSecret(c.var.deps.db.db, secretBox(cfg), c.var.tenant.id, id, overlap);
    if (!rotated) throw ApiError.notFound("webhook endpoint", id, "webhook_endpoint_id");
    return c.json(endpointObject(rotated.row, rotated.secret), 200);
  })
  .openapi(attemptsRoute, async (c) => {
    const id = c.req.valid("param").webhook_endpoint_id;
    const { after, limit } = c.req.valid("query");
    await ownEndpoint(c, id);
    const rows = await listAttempts(c.var.deps.db, id, { after, limit });
    return c.json(toPage(rows, limit, attemptObject), 200);
  })
  .openapi(redeliverRoute, async (c) => {
    const { webhook_endpoint_id: id, delivery_id } = c.req.valid("param");
    const tenant = c.var.tenant.id;
    const scheduled = await redeliver(c.var.deps.db, tenant, id, delivery_id);
    if (scheduled) return c.json(deliveryObject(scheduled), 200);
    if (!(await deliveryExists(c.var.deps.db, tenant, id, delivery_id)))
      throw ApiError.notFound("webhook delivery", delivery_id, "delivery_id");
    throw new ApiError(
      409,
      `Delivery '${delivery_id}' is still scheduled; it can be sent again once it settled.`,
      {
        code: "delivery_pending",
      },
    );
  })
  .openapi(testRoute, async (c) => {
    const id = c.req.valid("param").webhook_endpoint_id;
    const endpoint = await ownEndpoint(c, id);
    if (!endpoint.enabled)
      throw new ApiError(409, `Webhook endpoint '${id}' is disabled; enable it to send a test event.`, {
        code: "endpoint_disabled",
      });
    const scheduled = await sendTestEvent(c.var.deps.db, c.var.tenant.id, id);
    if (!scheduled) throw ApiError.notFound("webhook endpoint", id, "webhook_endpoint_id");
    return c.json(deliveryObject(scheduled), 200);
  });
