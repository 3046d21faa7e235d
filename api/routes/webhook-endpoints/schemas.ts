// Request bodies and response objects of /v1/webhook_endpoints. Bodies are strict: a field we do not know is a
// 400 naming it, not silently ignored.
import { z } from "@hono/zod-openapi";
import type { WebhookEndpointRow } from "../../../db/schema/webhooks.ts";
import type { AttemptLogRow, ScheduledDelivery } from "../../../db/webhooks/deliveries.ts";
import { WEBHOOK_EVENT_TYPES } from "../../../db/webhooks/events.ts";
import { unixSeconds } from "../files/schemas.ts";

/** `["*"]` (or leaving `events` out) subscribes to every type. */
export const ALL_EVENTS = "*";

const events = z
  .array(z.enum([...WEBHOOK_EVENT_TYPES, ALL_EVENTS]))
  .min(1)
  .max(WEBHOOK_EVENT_TYPES.length + 1)
  .openapi({
    description: `Event types to receive; ["*"] for all. Types: ${WEBHOOK_EVENT_TYPES.join(", ")}`,
  });

const url = z
  .string()
  .max(2048)
  .openapi({ description: "https URL receiving the events", example: "https://example.com/hooks" });
const description = z.string().max(1024).nullable();

export const CreateEndpointBody = z
  .object({
    url,
    events: events.optional(),
    description: description.optional(),
    enabled: z.boolean().default(true),
  })
  .strict()
  .openapi("WebhookEndpointCreateParams");

export const UpdateEndpointBody = z
  .object({
    url: url.optional(),
    events: events.optional(),
    description: description.optional(),
    enabled: z.boolean().optional(),
  })
  .strict()
  .openapi("WebhookEndpointUpdateParams");

export const RotateSecretBody = z
  .object({
    overlap_seconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 3600)
      .optional()
      .openapi({ description: "How long the old secret keeps signing beside the new one (default: 24 h)" }),
  })
  .strict()
  .openapi("WebhookEndpointRotateSecretParams");

/** Stored form of `events`: null for every type. */
export function storedEvents(list: string[] | undefined): string[] | null {
  if (list === undefined || list.includes(ALL_EVENTS)) return null;
  return [...new Set(list)];
}

export const EndpointObject = z
  .object({
    id: z.string().openapi({ example: "we_3dT2x9QxYy8oVZ0aA1b2C3d4" }),
    object: z.literal("webhook_endpoint"),
    url: z.string(),
    events: z.array(z.string()),
    description: z.string().nullable(),
    enabled: z.boolean(),
    status: z.enum(["enabled", "disabled"]),
    disabled_reason: z
      .string()
      .nullable()
      .openapi({ description: "Set when the service disabled the endpoint" }),
    failing_since: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "Unix seconds of the first failure since the last success" }),
    previous_secret_expires_at: z.number().int().nullable(),
    created_at: z.number().int(),
    updated_at: z.number().int(),
    secret: z
      .string()
      .optional()
      .openapi({ description: "whsec_…, only in the answers to create and rotate_secret" }),
  })
  .openapi("WebhookEndpoint");
export type EndpointObject = z.infer<typeof EndpointObject>;

const unixOrNull = (d: Date | null) => (d ? unixSeconds(d) : null);

export function endpointObject(row: WebhookEndpointRow, secret?: string): EndpointObject {
  const overlapping = row.previousSecretExpiresAt && row.previousSecretExpiresAt > new Date();
  return {
    id: row.id,
    object: "webhook_endpoint",
    url: row.url,
    events: row.events ?? [ALL_EVENTS],
    description: row.description,
    enabled: row.enabled,
    status: row.enabled ? "enabled" : "disabled",
    disabled_reason: row.disabledReason,
    failing_since: unixOrNull(row.failingSince),
    previous_secret_expires_at: overlapping ? unixOrNull(row.previousSecretExpiresAt) : null,
    created_at: unixSeconds(row.createdAt),
    updated_at: unixSeconds(row.updatedAt),
    ...(secret ? { secret } : {}),
  };
}

export const DeletedEndpoint = z
  .object({ id: z.string(), object: z.literal("webhook_endpoint"), deleted: z.boolean() })
  .openapi("WebhookEndpointDeleted");

export const AttemptObject = z
  .object({
    id: z.string(),
    object: z.literal("webhook_endpoint.delivery_attempt"),
    delivery_id: z.string(),
    event_id: z
      .string()
      .openapi({ description: "The webhook-id header: the same on every attempt of a delivery" }),
    event_type: z.string(),
    attempt: z.number().int(),
    created_at: z.number().int(),
    http_status: z.number().int().nullable(),
    latency_ms: z.number().int(),
    response_body: z.string().nullable().openapi({ description: "The first bytes of the answer" }),
    error: z.string().nullable(),
    delivery_status: z.enum(["pending", "delivering", "succeeded", "failed"]),
  })
  .openapi("WebhookDeliveryAttempt");

export function attemptObject(r: AttemptLogRow): z.infer<typeof AttemptObject> {
  return {
    id: r.id,
    object: "webhook_endpoint.delivery_attempt",
    delivery_id: r.deliveryId,
    event_id: r.eventId,
    event_type: r.eventType,
    attempt: r.attempt,
    created_at: unixSeconds(r.startedAt),
    http_status: r.httpStatus,
    latency_ms: r.latencyMs,
    response_body: r.responseBody,
    error: r.error,
    delivery_status: r.deliveryStatus as z.infer<typeof AttemptObject>["delivery_status"],
  };
}

export const DeliveryObject = z
  .object({
    id: z.string(),
    object: z.literal("webhook_endpoint.delivery"),
    event_id: z.string(),
    event_type: z.string(),
    status: z.string(),
  })
  .openapi("WebhookDelivery");

export function deliveryObject(d: ScheduledDelivery): z.infer<typeof DeliveryObject> {
  return {
    id: d.id,
    object: "webhook_endpoint.delivery",
    event_id: d.eventId,
    event_type: d.eventType,
    status: d.status,
  };
}
