// The webhook event types and the payload every delivery carries. One list: the API validates subscriptions
// against it, the dispatcher fans out only these types, and docs/webhooks.md describes each.
import { JOB_STATUSES, type JobStatus } from "../queue/states.ts";

/**
 * Job states that announce themselves: OpenAI's three terminal ones, and ours for queued/running/paused.
 * validating_files only lasts the create request, so it is no event type.
 */
export const JOB_EVENT_STATUSES = JOB_STATUSES.filter(
  (s): s is Exclude<JobStatus, "validating_files"> => s !== "validating_files",
);

/** Sent beside `fine_tuning.job.succeeded` when GradES froze enough weight matrices to end training early. */
export const EARLY_STOP_EVENT = "fine_tuning.job.early_stopped";

/** What `POST /v1/webhook_endpoints/{id}/test` sends; only to the endpoint tested, never subscribed to. */
export const TEST_EVENT = "webhook_endpoint.test";

export const WEBHOOK_EVENT_TYPES = [
  ...JOB_EVENT_STATUSES.map((s) => `fine_tuning.job.${s}` as const),
  EARLY_STOP_EVENT,
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The GradES statistics an event carries (a summary of the job's progress column). */
export interface GradesSummary {
  stop_reason: string | null;
  steps_completed: number;
  total_steps: number | null;
  frozen_fraction: number;
  frozen_components: number;
  total_components: number | null;
}

/** The body of a delivery, shaped as OpenAI's webhook events. */
export interface WebhookEvent {
  id: string;
  object: "event";
  /** Unix seconds of the state change. */
  created_at: number;
  type: string;
  data: {
    id: string;
    status?: string;
    fine_tuned_model?: string | null;
    error?: { code: string; message: string; param: string | null } | null;
    grades?: GradesSummary | null;
  };
}

export function eventPayload(row: {
  id: string;
  type: string;
  data: unknown;
  createdAt: Date;
}): WebhookEvent {
  return {
    id: row.id,
    object: "event",
    created_at: Math.floor(row.createdAt.getTime() / 1000),
    type: row.type,
    data: row.data as WebhookEvent["data"],
  };
}

/**
 * The outbox rows for the jobs a statement moved (`moved`: a CTE of job rows), as the `select` of an
 * `insert into webhook_outbox (id, tenant_id, type, data, created_at)`: `fine_tuning.job.<status>` for each,
 * preceded by EARLY_STOP_EVENT when a job succeeded because GradES froze its matrices (stop_reason all_frozen).
 * `eventId` is the SQL expression of a new event id. The data is what the state change knew: a later change
 * does not rewrite an event already written.
 */
export function outboxRowsSql(moved: string, eventId: string): string {
  const p = (field: string) => `'${field}', ${moved}.progress -> '${field}'`;
  return `select ${eventId}, ${moved}.tenant_id, e.type,
         jsonb_build_object('id', ${moved}.id, 'status', ${moved}.status, 'fine_tuned_model', ${moved}.fine_tuned_model,
           'error', ${moved}.error,
           'grades', case when ${moved}.progress is null then null else jsonb_build_object(
             ${p("stop_reason")}, ${p("steps_completed")}, ${p("total_steps")}, ${p("frozen_fraction")},
             ${p("frozen_components")}, ${p("total_components")}) end),
         -- The statement's clock, not the transaction's: two changes in one transaction keep their order; the
         -- early-stop event is stamped a microsecond before the success it explains, so it is delivered first.
         clock_timestamp() + e.k * interval '1 microsecond'
  from ${moved}
  cross join lateral (values
    (0, '${EARLY_STOP_EVENT}', ${moved}.status = 'succeeded' and ${moved}.progress ->> 'stop_reason' = 'all_frozen'),
    (1, 'fine_tuning.job.' || ${moved}.status, true)) as e(k, type, wanted)
  where e.wanted`;
}
