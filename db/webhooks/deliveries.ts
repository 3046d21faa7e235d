// Deliveries for the API: the attempt log of an endpoint, redelivering, and test events.
import type { Database } from "../client.ts";
import { newId } from "../ids.ts";
import { REDELIVER, SEND_TEST } from "./sql.ts";

export interface AttemptLogRow {
  id: string;
  deliveryId: string;
  eventId: string;
  eventType: string;
  attempt: number;
  startedAt: Date;
  httpStatus: number | null;
  latencyMs: number;
  responseBody: string | null;
  error: string | null;
  deliveryStatus: string;
}

/** Attempts to one endpoint, newest first; `after`: the id of the last attempt of the previous page. */
export async function listAttempts(
  database: Database,
  endpointId: string,
  opts: { after?: string | undefined; limit: number },
): Promise<AttemptLogRow[]> {
  const rows = await database.sql.query(
    `select a.id, a.delivery_id, d.event_id, o.type, a.attempt, a.started_at, a.http_status, a.latency_ms,
            a.response_body, a.error, d.status
     from webhook_delivery_attempts a
     join webhook_deliveries d on d.id = a.delivery_id
     join webhook_outbox o on o.id = d.event_id
     where a.endpoint_id = $1
       and ($2::text is null or a.seq < (select seq from webhook_delivery_attempts where id = $2 and endpoint_id = $1))
     order by a.seq desc
     limit $3`,
    [endpointId, opts.after ?? null, opts.limit + 1],
  );
  return rows.map((r) => ({
    id: r.id as string,
    deliveryId: r.delivery_id as string,
    eventId: r.event_id as string,
    eventType: r.type as string,
    attempt: Number(r.attempt),
    startedAt: r.started_at as Date,
    httpStatus: r.http_status === null ? null : Number(r.http_status),
    latencyMs: Number(r.latency_ms),
    responseBody: (r.response_body as string | null) ?? null,
    error: (r.error as string | null) ?? null,
    deliveryStatus: r.status as string,
  }));
}

export interface ScheduledDelivery {
  id: string;
  eventId: string;
  eventType: string;
  status: string;
}

const scheduled = (r: Record<string, unknown>): ScheduledDelivery => ({
  id: r.id as string,
  eventId: r.event_id as string,
  eventType: r.type as string,
  status: r.status as string,
});

/** Schedules a test event to the tenant's endpoint; undefined when there is no such endpoint. */
export async function sendTestEvent(
  database: Database,
  tenantId: string,
  endpointId: string,
): Promise<ScheduledDelivery | undefined> {
  const [row] = await database.sql.query(SEND_TEST, [endpointId, tenantId, newId("evt_"), newId("whdel_")]);
  return row ? scheduled(row) : undefined;
}

/** Sends a settled delivery again; undefined when there is none such (or it is still scheduled). */
export async function redeliver(
  database: Database,
  tenantId: string,
  endpointId: string,
  deliveryId: string,
): Promise<ScheduledDelivery | undefined> {
  const [row] = await database.sql.query(REDELIVER, [deliveryId, endpointId, tenantId]);
  return row ? scheduled(row) : undefined;
}

/** Whether a delivery exists for the tenant's endpoint (to tell "not found" from "already scheduled"). */
export async function deliveryExists(
  database: Database,
  tenantId: string,
  endpointId: string,
  deliveryId: string,
): Promise<boolean> {
  const rows = await database.sql.query(
    "select 1 from webhook_deliveries where id = $1 and endpoint_id = $2 and tenant_id = $3",
    [deliveryId, endpointId, tenantId],
  );
  return rows.length > 0;
}
