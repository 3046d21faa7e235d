// The queue's SQL: one statement per operation. Every statement a worker runs on a job it holds is guarded by
// `locked_by = <worker>`, so a worker whose lease expired (and whose job was rescued) can no longer touch it.
// State changes go through `announce`, which writes the webhook outbox row and the job event in the same
// statement (data-modifying CTEs run in the statement's transaction: all or nothing).

import { outboxRowsSql } from "../webhooks/events.ts";

/** NOTIFY channel: a job became claimable; idle workers wake up instead of waiting for their next poll. */
export const JOBS_CHANNEL = "grades_jobs_queued";

const newId = (prefix: string) => `'${prefix}' || replace(gen_random_uuid()::text, '-', '')`;

/**
 * Wraps a statement that moves jobs (`insert … returning *` or `update … returning j.*`) so that each moved job
 * also gets its outbox row (`fine_tuning.job.<status>`) and a job event with `message` (an SQL expression over
 * the moved row). With `notify`, a NOTIFY on JOBS_CHANNEL is sent at commit for every moved job.
 */
function announce(move: string, message: string, opts: { notify?: boolean } = {}): string {
  return `with moved as (${move}),
outbox as (
  insert into webhook_outbox (id, tenant_id, type, data, created_at)
  ${outboxRowsSql("moved", newId("evt_"))}
),
event as (
  insert into fine_tuning_job_events (id, job_id, level, message)
  select ${newId("ftevent-")}, moved.id, case when moved.status = 'failed' then 'error' else 'info' end, ${message}
  from moved
)
select moved.*${opts.notify ? `, pg_notify('${JOBS_CHANNEL}', moved.id)::text as notified` : ""} from moved`;
}

const releaseLease = "locked_by = null, locked_until = null, updated_at = now()";

/** $1 id, $2 tenant, $3 model, $4 training file, $5 validation file, $6 suffix, $7 seed, $8 metadata, $9 config, $10 max attempts. */
export const ENQUEUE = announce(
  `insert into fine_tuning_jobs
     (id, tenant_id, status, model, training_file, validation_file, suffix, seed, metadata, config, max_attempts)
   values ($1, $2, 'validating_files', $3, $4, $5, $6, $7, $8::text::jsonb, $9::text::jsonb, $10)
   returning *`,
  "'Validating training file: ' || moved.training_file",
);

/** validating_files → queued. $1 id. */
export const MARK_QUEUED = announce(
  `update fine_tuning_jobs j set status = 'queued', run_at = now(), updated_at = now()
   where j.id = $1 and j.status = 'validating_files'
   returning j.*`,
  "'Files validated, moving job to queued state'",
  { notify: true },
);

/**
 * Claim, step 1 of 2 (one transaction): pick the oldest claimable job of a tenant under its running limit and
 * row-lock it (rows other claimers hold are skipped, not waited for); then take a transaction-scoped advisory
 * lock on its tenant, which serialises claims of one tenant so that step 2's count (a new statement, hence a
 * snapshot taken after the lock) sees every claim committed before it: the running limit is exact.
 * $1 per-tenant running limit.
 */
export const CLAIM_PICK = `with picked as materialized (
  select j.id, j.tenant_id from fine_tuning_jobs j
  where j.status = 'queued' and j.run_at <= now()
    and (select count(*) from fine_tuning_jobs r where r.tenant_id = j.tenant_id and r.status = 'running') < $1
  order by j.run_at, j.created_at
  limit 1
  for update of j skip locked
)
select picked.id, picked.tenant_id,
       pg_advisory_xact_lock(hashtextextended('grades.tenant.' || picked.tenant_id, 0))::text as tenant_locked
from picked`;

/** Claim, step 2: queued → running with a lease. $1 id, $2 worker, $3 lease seconds, $4 per-tenant running limit. */
export const CLAIM_TAKE = announce(
  `update fine_tuning_jobs j set status = 'running', locked_by = $2,
     locked_until = now() + make_interval(secs => $3), heartbeat_at = now(), attempts = j.attempts + 1,
     started_at = coalesce(j.started_at, now()), updated_at = now()
   where j.id = $1 and j.status = 'queued'
     and (select count(*) from fine_tuning_jobs r where r.tenant_id = j.tenant_id and r.status = 'running') < $4
   returning j.*`,
  `case when moved.attempts > 1
     then format('Fine-tuning job started (attempt %s of %s)', moved.attempts, moved.max_attempts)
     else 'Fine-tuning job started' end`,
);

/**
 * Renews the lease and reports what the API asked for: the job's status (cancelled by the API?) and whether a
 * pause was requested. No row: the lease is lost. $1 id, $2 worker, $3 lease seconds.
 */
export const HEARTBEAT = `update fine_tuning_jobs set locked_until = now() + make_interval(secs => $3), heartbeat_at = now()
where id = $1 and locked_by = $2
returning status, pause_requested`;

/** running → succeeded. $1 id, $2 worker, $3 fine-tuned model, $4 result file ids, $5 trained tokens, $6 progress, $7 backend. */
export const SUCCEED = announce(
  `update fine_tuning_jobs j set status = 'succeeded', fine_tuned_model = $3, result_files = $4::text::jsonb,
     trained_tokens = $5, progress = $6::text::jsonb, backend = $7, finished_at = now(), estimated_finish = null,
     pause_requested = false, error = null, ${releaseLease}
   where j.id = $1 and j.locked_by = $2 and j.status = 'running'
   returning j.*`,
  "'The job has successfully completed'",
);

/** running → failed (a permanent error). $1 id, $2 worker, $3 error {code, message, param}. */
export const FAIL = announce(
  `update fine_tuning_jobs j set status = 'failed', error = $3::text::jsonb, last_error = $3::text::jsonb ->> 'message',
     finished_at = now(), estimated_finish = null, pause_requested = false, ${releaseLease}
   where j.id = $1 and j.locked_by = $2 and j.status = 'running'
   returning j.*`,
  "'Job failed: ' || (moved.error ->> 'message')",
);

// The delay for a job whose attempt number is `attempts`, from the schedule $n (a jsonb array of seconds,
// element k for attempt k+1; attempts past its end use its last element).
const delayAfter = (schedule: string, attempts: string) =>
  `make_interval(secs => ((${schedule}::text::jsonb) ->> (least(${attempts}, jsonb_array_length(${schedule}::text::jsonb)) - 1))::float8)`;

const exhaustedError = (why: string) =>
  `jsonb_build_object('code', 'attempts_exhausted', 'param', null, 'message',
     format('%s on attempt %s of %s; no attempts left.', ${why}, j.attempts, j.max_attempts))`;

/**
 * running → queued after a transient error, no earlier than the retry delay; or → failed when that was the last
 * attempt. $1 id, $2 worker, $3 retry schedule (jsonb seconds), $4 error message.
 */
export const RETRY_LATER = announce(
  `update fine_tuning_jobs j set
     status = case when j.attempts >= j.max_attempts then 'failed' else 'queued' end,
     run_at = case when j.attempts >= j.max_attempts then j.run_at else now() + ${delayAfter("$3", "j.attempts")} end,
     error = case when j.attempts >= j.max_attempts then ${exhaustedError("'The job failed: ' || $4::text")} else j.error end,
     finished_at = case when j.attempts >= j.max_attempts then now() end,
     last_error = $4, pause_requested = false, ${releaseLease}
   where j.id = $1 and j.locked_by = $2 and j.status = 'running'
   returning j.*`,
  `case when moved.status = 'failed' then 'Job failed: ' || (moved.error ->> 'message')
     else format('Attempt %s of %s failed (%s); retrying from the latest checkpoint', moved.attempts, moved.max_attempts, moved.last_error) end`,
  { notify: true },
);

/**
 * running → queued on worker shutdown: a clean hand-over, not a failure, so the attempt is given back.
 * $1 id, $2 worker.
 */
export const RELEASE = announce(
  `update fine_tuning_jobs j set status = 'queued', run_at = now(), attempts = greatest(j.attempts - 1, 0), ${releaseLease}
   where j.id = $1 and j.locked_by = $2 and j.status = 'running'
   returning j.*`,
  "'Worker shut down; job re-queued to continue from its latest checkpoint'",
  { notify: true },
);

/** running → paused after the worker checkpointed on a pause request; attempts start afresh on resume. $1 id, $2 worker. */
export const PAUSE_HELD = announce(
  `update fine_tuning_jobs j set status = 'paused', pause_requested = false, attempts = 0, estimated_finish = null,
     ${releaseLease}
   where j.id = $1 and j.locked_by = $2 and j.status = 'running'
   returning j.*`,
  "'Fine-tuning job paused'",
);

/** Drops the lease on a job the API already moved on (cancelled): no state change. $1 id, $2 worker. */
export const DROP_LEASE = `update fine_tuning_jobs set ${releaseLease}
where id = $1 and locked_by = $2 and status <> 'running'
returning id`;

/**
 * The rescuer: every running job whose lease expired goes back to queued after the retry delay, or to failed
 * when it has used its attempts. $1 retry schedule (jsonb seconds).
 */
export const RESCUE = announce(
  `update fine_tuning_jobs j set
     status = case when j.attempts >= j.max_attempts then 'failed' else 'queued' end,
     run_at = case when j.attempts >= j.max_attempts then j.run_at else now() + ${delayAfter("$1", "j.attempts")} end,
     error = case when j.attempts >= j.max_attempts
       then ${exhaustedError("'The worker running the job stopped responding (its lease expired)'")} else j.error end,
     finished_at = case when j.attempts >= j.max_attempts then now() end,
     last_error = format('lease of worker %s expired at %s', j.locked_by, j.locked_until),
     pause_requested = false, ${releaseLease}
   from (select id from fine_tuning_jobs where status = 'running' and locked_until < now()
         for update skip locked) expired
   where j.id = expired.id
   returning j.*`,
  `case when moved.status = 'failed' then 'Job failed: ' || (moved.error ->> 'message')
     else format('The worker stopped responding; job re-queued (attempt %s of %s used) to resume from its latest checkpoint',
                 moved.attempts, moved.max_attempts) end`,
  { notify: true },
);

/** The API's cancel: any non-terminal state → cancelled. A running job's worker sees it on its next heartbeat. $1 id, $2 tenant. */
export const CANCEL = announce(
  `update fine_tuning_jobs j set status = 'cancelled', finished_at = now(), estimated_finish = null,
     pause_requested = false, updated_at = now()
   where j.id = $1 and j.tenant_id = $2 and j.status in ('validating_files', 'queued', 'running', 'paused')
   returning j.*`,
  "'Fine-tuning job cancelled'",
);

/** The API's pause of a job no worker holds: validating_files|queued → paused. $1 id, $2 tenant. */
export const PAUSE_WAITING = announce(
  `update fine_tuning_jobs j set status = 'paused', updated_at = now()
   where j.id = $1 and j.tenant_id = $2 and j.status in ('validating_files', 'queued')
   returning j.*`,
  "'Fine-tuning job paused'",
);

/** The API's pause of a running job: ask its worker (it checkpoints, then moves the job to paused). $1 id, $2 tenant. */
export const REQUEST_PAUSE = `with moved as (
  update fine_tuning_jobs j set pause_requested = true, updated_at = now()
  where j.id = $1 and j.tenant_id = $2 and j.status = 'running'
  returning j.*
), event as (
  insert into fine_tuning_job_events (id, job_id, message)
  select ${newId("ftevent-")}, moved.id, 'Pause requested; the job pauses at its next checkpoint' from moved
  where not exists (select 1 from fine_tuning_jobs p where p.id = moved.id and p.pause_requested)
)
select * from moved`;

/** The API's resume: paused → queued (training continues from the latest checkpoint). $1 id, $2 tenant. */
export const RESUME = announce(
  `update fine_tuning_jobs j set status = 'queued', run_at = now(), updated_at = now()
   where j.id = $1 and j.tenant_id = $2 and j.status = 'paused'
   returning j.*`,
  "'Fine-tuning job resumed'",
  { notify: true },
);

/** The API's resume of a running job whose pause was requested but not yet honoured. $1 id, $2 tenant. */
export const WITHDRAW_PAUSE = `update fine_tuning_jobs j set pause_requested = false, updated_at = now()
where j.id = $1 and j.tenant_id = $2 and j.status = 'running' and j.pause_requested
returning j.*`;

/**
 * Records a checkpoint the lease holder wrote (its objects are already uploaded). $1 job, $2 worker, $3 checkpoint
 * id, $4 step, $5 storage prefix, $6 metrics.
 */
export const RECORD_CHECKPOINT = `insert into fine_tuning_checkpoints (id, job_id, step, storage_prefix, metrics)
select $3, j.id, $4, $5, $6::text::jsonb from fine_tuning_jobs j where j.id = $1 and j.locked_by = $2
on conflict (job_id, step) do update set storage_prefix = excluded.storage_prefix, metrics = excluded.metrics
returning *`;

/**
 * Appends events the lease holder produced, in order. $1 job, $2 worker, $3 jsonb array of
 * {id, level, type, message, data}.
 */
export const ADD_EVENTS = `insert into fine_tuning_job_events (id, job_id, level, type, message, data)
select e.v ->> 'id', j.id, e.v ->> 'level', e.v ->> 'type', e.v ->> 'message', e.v -> 'data'
from fine_tuning_jobs j, jsonb_array_elements($3::text::jsonb) with ordinality as e(v, n)
where j.id = $1 and j.locked_by = $2
order by e.n
returning seq`;

/** Progress of a running job (GradES statistics, tokens, estimate). $1 job, $2 worker, $3 progress, $4 trained tokens, $5 estimated finish, $6 backend. */
export const UPDATE_PROGRESS = `update fine_tuning_jobs set progress = $3::text::jsonb, trained_tokens = $4,
  estimated_finish = $5, backend = $6, updated_at = now()
where id = $1 and locked_by = $2 and status = 'running'
returning id`;

/** Newest checkpoint of a job. $1 job. */
export const LATEST_CHECKPOINT = `select * from fine_tuning_checkpoints where job_id = $1 order by step desc limit 1`;
