// The dispatcher's SQL: one statement per operation. A delivery is the queue entry; every statement a
// dispatcher runs on a delivery it holds is guarded by `locked_by = <dispatcher>`, so one whose lease expired
// (and whose delivery another dispatcher took over) can no longer record anything about it.
//
//   waiting     In line behind an earlier event of the same job to the same endpoint (see Order). In:
//               fan-out, the API's redeliver. Out: PROMOTE → pending once it is the head of its line.
//   pending     Due for an attempt no earlier than next_attempt_at. In: fan-out of a head, PROMOTE, a failed
//               attempt with attempts left, a test event. Out: a claim → delivering.
//   delivering  Held by one dispatcher's lease (locked_by, locked_until). Out, guarded by the holder: 2xx →
//               succeeded; anything else → pending (retry schedule) or failed (schedule exhausted). An expired
//               lease (the dispatcher died mid-request) makes it claimable again: delivered at least once.
//   succeeded, failed   Final, until the API's redeliver moves them back to waiting.
//
// Order: per job and endpoint, an event is first sent only after every earlier event of that job to that
// endpoint has settled (acknowledged, or failed after its last attempt). Only the head of each line is pending,
// so claiming stays an index scan however long the lines behind failing endpoints grow.
import { TEST_EVENT, WEBHOOK_EVENT_TYPES } from "./events.ts";

/** NOTIFY channel: outbox rows were written (a trigger, migration webhooks_notify) or a delivery was scheduled. */
export const WEBHOOKS_CHANNEL = "grades_webhooks";

const newId = (prefix: string) => `'${prefix}' || replace(gen_random_uuid()::text, '-', '')`;
const deliverable = WEBHOOK_EVENT_TYPES.map((t) => `'${t}'`).join(", ");

/**
 * Whether delivery-like row `d` (endpoint_id, tenant_id, job_id, event_created_at, event_id) has an earlier
 * event of its job still unsettled for the same endpoint, or still in the outbox waiting to be fanned out.
 */
const behindEarlier = (d: string) => `(exists (
    select 1 from webhook_deliveries p
    where p.endpoint_id = ${d}.endpoint_id and p.job_id = ${d}.job_id and p.status in ('waiting', 'pending', 'delivering')
      and (p.event_created_at, p.event_id) < (${d}.event_created_at, ${d}.event_id))
  or exists (
    select 1 from webhook_outbox o
    where o.delivered_at is null and o.tenant_id = ${d}.tenant_id and o.data ->> 'id' = ${d}.job_id
      and (o.created_at, o.id) < (${d}.event_created_at, ${d}.event_id)))`;

/**
 * Fan-out: turns up to $1 outbox rows, oldest first, into one delivery per enabled endpoint of the tenant that
 * subscribes to the type, and marks them handed over (`delivered_at`). Rows other dispatchers hold are skipped.
 * Types no endpoint can subscribe to (validating_files) are marked without deliveries. A delivery is pending
 * when it heads its line, waiting otherwise (two events of one job in the same batch: the later one waits).
 */
export const FAN_OUT = `with picked as (
  select o.id, o.tenant_id, o.type, o.data, o.created_at from webhook_outbox o
  where o.delivered_at is null
  order by o.created_at, o.id
  limit $1
  for update skip locked
), targets as (
  select p.id as event_id, e.id as endpoint_id, p.tenant_id, p.data ->> 'id' as job_id, p.created_at as event_created_at
  from picked p
  join webhook_endpoints e on e.tenant_id = p.tenant_id and e.enabled
    and (e.events is null or e.events ? p.type)
  where p.type in (${deliverable})
), fanned as (
  insert into webhook_deliveries (id, event_id, endpoint_id, tenant_id, job_id, event_created_at, status)
  select ${newId("whdel_")}, t.event_id, t.endpoint_id, t.tenant_id, t.job_id, t.event_created_at,
    case when ${behindEarlier("t")} or exists (
      select 1 from targets b where b.endpoint_id = t.endpoint_id and b.job_id = t.job_id
        and (b.event_created_at, b.event_id) < (t.event_created_at, t.event_id))
    then 'waiting' else 'pending' end
  from targets t
  on conflict (event_id, endpoint_id) do nothing
  returning status
), marked as (
  update webhook_outbox o set delivered_at = now() from picked where o.id = picked.id
  returning 1
)
select (select count(*) from marked)::int as events, (select count(*) from fanned)::int as deliveries,
       (select count(*) from fanned where status = 'waiting')::int as waiting`;

/**
 * Moves the head of every line to pending: the earliest waiting delivery of a job to an endpoint with nothing
 * earlier unsettled. Run before claiming; it also catches a head whose predecessor settled while its own
 * fan-out was committing. A waiting test event (redelivered) has no line.
 */
export const PROMOTE = `update webhook_deliveries d set status = 'pending', next_attempt_at = now()
from (
  select distinct on (w.endpoint_id, coalesce(w.job_id, w.id)) w.id, w.endpoint_id, w.tenant_id, w.job_id,
         w.event_created_at, w.event_id
  from webhook_deliveries w
  where w.status = 'waiting'
  order by w.endpoint_id, coalesce(w.job_id, w.id), w.event_created_at, w.event_id
) head
where d.id = head.id and d.status = 'waiting' and (head.job_id is null or not ${behindEarlier("head")})
returning d.id`;

/**
 * Claims up to $3 due deliveries (pending, or delivering with an expired lease) to enabled endpoints, oldest
 * due first, and leases them to $1 for $2 seconds. Returns what a delivery needs: the event, the endpoint's URL
 * and sealed secrets.
 */
export const CLAIM = `with due as (
  select d.id from webhook_deliveries d
  join webhook_endpoints e on e.id = d.endpoint_id and e.enabled
  where d.status in ('pending', 'delivering') and d.next_attempt_at <= now()
    and (d.status = 'pending' or d.locked_until < now())
  order by d.next_attempt_at
  limit $3
  for update of d skip locked
), claimed as (
  update webhook_deliveries d set status = 'delivering', locked_by = $1,
    locked_until = now() + make_interval(secs => $2), attempts = d.attempts + 1
  from due where d.id = due.id
  returning d.*
)
select c.id, c.event_id, c.endpoint_id, c.attempts, o.type, o.data, o.created_at as event_created_at,
       e.url, e.secret_ciphertext,
       case when e.previous_secret_expires_at > now() then e.previous_secret_ciphertext end as previous_secret_ciphertext
from claimed c
join webhook_outbox o on o.id = c.event_id
join webhook_endpoints e on e.id = c.endpoint_id`;

/**
 * Records one attempt of a held delivery and settles it: $3 'succeeded', or 'failed' with $4 the seconds until
 * the next attempt (null: none left, the delivery is failed). The attempt: $5 started at, $6 HTTP status,
 * $7 latency ms, $8 response body, $9 error. On failure the endpoint's failing_since starts (if not running)
 * and an endpoint failing since more than $10 seconds is disabled; on success failing_since is cleared.
 * $1 delivery, $2 dispatcher.
 */
export const SETTLE = `with settled as (
  update webhook_deliveries d set
    status = case when $3 = 'succeeded' then 'succeeded' when $4::float8 is null then 'failed' else 'pending' end,
    next_attempt_at = case when $3 = 'failed' and $4::float8 is not null
      then now() + make_interval(secs => $4::float8) else d.next_attempt_at end,
    finished_at = case when $3 = 'succeeded' or $4::float8 is null then now() end,
    last_error = case when $3 = 'succeeded' then null else coalesce($9, 'HTTP ' || $6::int) end,
    locked_by = null, locked_until = null
  where d.id = $1 and d.locked_by = $2 and d.status = 'delivering'
  returning d.*
), attempt as (
  insert into webhook_delivery_attempts
    (id, delivery_id, endpoint_id, attempt, started_at, http_status, latency_ms, response_body, error)
  select ${newId("whatt_")}, s.id, s.endpoint_id, s.attempts, $5, $6::int, $7::int, $8, $9 from settled s
), endpoint as (
  update webhook_endpoints e set
    failing_since = case when $3 = 'succeeded' then null else coalesce(e.failing_since, now()) end,
    enabled = case when $3 = 'failed' and e.failing_since < now() - make_interval(secs => $10::float8)
      then false else e.enabled end,
    disabled_reason = case when $3 = 'failed' and e.failing_since < now() - make_interval(secs => $10::float8)
      then format('Disabled on %s: no delivery succeeded since %s', now(), e.failing_since) else e.disabled_reason end,
    updated_at = now()
  -- A success on a healthy endpoint changes nothing on it: concurrent deliveries then never queue on its row.
  from settled s where e.id = s.endpoint_id and ($3 = 'failed' or e.failing_since is not null)
)
select s.id, s.status from settled s`;

/**
 * The API's test event: an outbox row of type webhook_endpoint.test, already handed over, with one delivery to
 * endpoint $1 of tenant $2. $3 event id, $4 delivery id.
 */
export const SEND_TEST = `with ep as (
  select id, tenant_id from webhook_endpoints where id = $1 and tenant_id = $2
), ev as (
  insert into webhook_outbox (id, tenant_id, type, data, created_at, delivered_at)
  select $3, ep.tenant_id, '${TEST_EVENT}', jsonb_build_object('id', ep.id), clock_timestamp(), now() from ep
  returning *
), del as (
  insert into webhook_deliveries (id, event_id, endpoint_id, tenant_id, job_id, event_created_at, status)
  select $4, ev.id, ep.id, ep.tenant_id, null, ev.created_at, 'pending' from ev, ep
  returning *
)
select del.*, ev.type from del, ev`;

/**
 * The API's redeliver: a settled delivery gets back in its line (waiting; PROMOTE makes it pending when it heads
 * it) with a fresh schedule; its webhook-id stays the event's. $1 delivery, $2 endpoint, $3 tenant.
 */
export const REDELIVER = `with moved as (
  update webhook_deliveries d set status = 'waiting', attempts = 0, next_attempt_at = now(), finished_at = null,
    last_error = null
  where d.id = $1 and d.endpoint_id = $2 and d.tenant_id = $3 and d.status in ('succeeded', 'failed')
  returning d.*
)
select moved.*, o.type, pg_notify('${WEBHOOKS_CHANNEL}', '')::text as notified
from moved join webhook_outbox o on o.id = moved.event_id`;
