import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { newId } from "../../db/ids.ts";
import { mapJob } from "../../db/queue/jobs.ts";
import { emptyProgress } from "../../db/queue/progress.ts";
import {
  addEvents,
  cancel,
  claim,
  DEFAULT_QUEUE_OPTIONS,
  enqueue,
  heartbeat,
  markQueued,
  pauseHeld,
  type QueueOptions,
  recordCheckpoint,
  release,
  requestPause,
  rescueExpired,
  resume,
  retryLater,
  succeed,
  updateProgress,
} from "../../db/queue/queue.ts";
import { retryDelaySeconds, retrySchedule } from "../../db/queue/retry.ts";
import { JOB_STATUSES } from "../../db/queue/states.ts";
import { openTestDatabase, type TestDb } from "../support/db.ts";
import { plainJobConfig } from "../support/job-config.ts";

let db: TestDb;
const opts: QueueOptions = {
  ...DEFAULT_QUEUE_OPTIONS,
  runningPerTenant: 1000,
  retry: { baseSeconds: 0, maxSeconds: 0 },
};

async function newTenant(): Promise<string> {
  const id = newId("org-");
  await db.sql.query("insert into tenants (id, name) values ($1, $2)", [id, id]);
  return id;
}

async function queuedJob(tenantId: string, maxAttempts = 3): Promise<string> {
  const job = await enqueue(db.sql, {
    tenantId,
    model: "demo-tiny",
    trainingFile: "file-x",
    validationFile: null,
    suffix: null,
    seed: 1,
    metadata: null,
    config: plainJobConfig(),
    maxAttempts,
  });
  await markQueued(db.sql, job.id);
  return job.id;
}

/** Makes the job's lease look expired, as if its worker had stopped heartbeating long ago. */
async function expireLease(jobId: string) {
  await db.sql.query("update fine_tuning_jobs set locked_until = now() - interval '1 second' where id = $1", [
    jobId,
  ]);
}

async function outboxTypes(jobId: string): Promise<string[]> {
  const rows = await db.sql.query<{ type: string }>(
    "select type from webhook_outbox where data ->> 'id' = $1 order by created_at, id",
    [jobId],
  );
  return rows.map((r) => r.type);
}

beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  await db?.close();
});
// Claims take any tenant's job: each test starts with nothing claimable left over from the previous one.
beforeEach(async () => {
  await db.sql.query(
    "update fine_tuning_jobs set status = 'cancelled', locked_by = null where status not in ('succeeded', 'failed', 'cancelled')",
  );
});

describe("job queue", () => {
  it("stores exactly the statuses of the state machine: the CHECK is built from its list", async () => {
    const jobId = await queuedJob(await newTenant());
    const accepted: string[] = [];
    for (const status of [...JOB_STATUSES, "archived"]) {
      const ok = await db.sql
        .transaction((tx) =>
          tx.query("update fine_tuning_jobs set status = $2 where id = $1", [jobId, status]),
        )
        .then(
          () => true,
          () => false,
        );
      if (ok) accepted.push(status);
    }
    expect(accepted).toEqual([...JOB_STATUSES]);
    // Read back through the queue's mapping, the config is the stored JobConfig.
    const [row] = await db.sql.query("select * from fine_tuning_jobs where id = $1", [jobId]);
    expect(mapJob(row!).config).toEqual(plainJobConfig());
  });

  it("enqueues in validating_files, queues, and writes an outbox row and an event per state change", async () => {
    const tenant = await newTenant();
    const job = await enqueue(db.sql, {
      tenantId: tenant,
      model: "demo-tiny",
      trainingFile: "file-abc",
      validationFile: null,
      suffix: "s",
      seed: 7,
      metadata: { team: "a" },
      config: plainJobConfig(),
      maxAttempts: 3,
    });
    expect(job.status).toBe("validating_files");
    expect(job.metadata).toEqual({ team: "a" });
    const queued = await markQueued(db.sql, job.id);
    expect(queued?.status).toBe("queued");
    expect(await outboxTypes(job.id)).toEqual(["fine_tuning.job.validating_files", "fine_tuning.job.queued"]);
    const events = await db.sql.query<{ message: string }>(
      "select message from fine_tuning_job_events where job_id = $1 order by seq",
      [job.id],
    );
    expect(events.map((e) => e.message)).toEqual([
      "Validating training file: file-abc",
      "Files validated, moving job to queued state",
    ]);
  });

  it("enqueue inside a transaction that rolls back leaves no job and no outbox row", async () => {
    const tenant = await newTenant();
    await expect(
      db.sql.transaction(async (tx) => {
        await enqueue(tx, {
          tenantId: tenant,
          model: "m",
          trainingFile: "f",
          validationFile: null,
          suffix: null,
          seed: 0,
          metadata: null,
          config: plainJobConfig(),
          maxAttempts: 3,
        });
        throw new Error("caller's later write failed");
      }),
    ).rejects.toThrow("caller's later write failed");
    const jobs = await db.sql.query("select id from fine_tuning_jobs where tenant_id = $1", [tenant]);
    const outbox = await db.sql.query("select id from webhook_outbox where tenant_id = $1", [tenant]);
    expect(jobs).toHaveLength(0);
    expect(outbox).toHaveLength(0);
  });

  it("several concurrent claimers never claim one job twice", async () => {
    const tenants = [await newTenant(), await newTenant(), await newTenant()];
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(await queuedJob(tenants[i % 3]!));
    const claimed: string[] = [];
    await Promise.all(
      Array.from({ length: 6 }, async (_, w) => {
        for (;;) {
          const job = await claim(db.sql, `claimer-${w}`, opts);
          if (!job) {
            const left = await db.sql.query(
              "select id from fine_tuning_jobs where status = 'queued' and id = any($1::text[])",
              [ids],
            );
            if (left.length === 0) return;
            continue;
          }
          claimed.push(job.id);
        }
      }),
    );
    expect(new Set(claimed).size).toBe(claimed.length);
    expect([...claimed].sort()).toEqual([...ids].sort());
    const attempts = await db.sql.query<{ attempts: number }>(
      "select attempts from fine_tuning_jobs where id = any($1::text[])",
      [ids],
    );
    expect(attempts.every((r) => r.attempts === 1)).toBe(true);
  });

  it("never runs more of a tenant's jobs at once than its limit, even with concurrent claimers", async () => {
    const tenant = await newTenant();
    for (let i = 0; i < 6; i++) await queuedJob(tenant);
    const limited = { ...opts, runningPerTenant: 2 };
    await Promise.all(Array.from({ length: 5 }, (_, w) => claim(db.sql, `limited-${w}`, limited)));
    const running = await db.sql.query(
      "select id from fine_tuning_jobs where tenant_id = $1 and status = 'running'",
      [tenant],
    );
    expect(running).toHaveLength(2);
  });

  it("rejects a stale lease holder once its job was rescued and claimed by another worker", async () => {
    const tenant = await newTenant();
    const id = await queuedJob(tenant);
    const a = await claim(db.sql, "worker-a", opts);
    expect(a?.id).toBe(id);
    expect(await heartbeat(db.sql, id, "worker-a", 30)).toEqual({ status: "running", pauseRequested: false });

    await expireLease(id);
    const rescued = await rescueExpired(db.sql, opts);
    expect(rescued.map((j) => [j.id, j.status])).toEqual([[id, "queued"]]);
    const b = await claim(db.sql, "worker-b", opts);
    expect(b?.id).toBe(id);
    expect(b?.attempts).toBe(2);

    // Every write of the old holder is refused now.
    expect(await heartbeat(db.sql, id, "worker-a", 30)).toBeNull();
    expect(await addEvents(db.sql, id, "worker-a", [{ message: "stale" }])).toBe(false);
    expect(
      await recordCheckpoint(db.sql, id, "worker-a", {
        step: 1,
        storagePrefix: "x/",
        metrics: { step: 1, train_loss: 2.5, frozen_fraction: 0, trained_tokens: 64 },
      }),
    ).toBeNull();
    const done = {
      fineTunedModel: "ft:m",
      resultFiles: [],
      trainedTokens: 1,
      progress: emptyProgress(),
      backend: "cpu",
    };
    expect(await succeed(db.sql, id, "worker-a", done)).toBeNull();

    const ok = await succeed(db.sql, id, "worker-b", done);
    expect(ok?.status).toBe("succeeded");
    expect(ok?.lockedBy).toBeNull();
    expect(await outboxTypes(id)).toEqual([
      "fine_tuning.job.validating_files",
      "fine_tuning.job.queued",
      "fine_tuning.job.running",
      "fine_tuning.job.queued",
      "fine_tuning.job.running",
      "fine_tuning.job.succeeded",
    ]);
  });

  it("leaves jobs with live leases alone when rescuing", async () => {
    const tenant = await newTenant();
    const id = await queuedJob(tenant);
    await claim(db.sql, "alive", opts);
    const rescued = await rescueExpired(db.sql, opts);
    expect(rescued.map((j) => j.id)).not.toContain(id);
  });

  it("fails a job with a clear error once its attempts are exhausted by expired leases", async () => {
    const tenant = await newTenant();
    const id = await queuedJob(tenant, 2);
    for (const worker of ["w1", "w2"]) {
      const job = await claim(db.sql, worker, opts);
      expect(job?.id).toBe(id);
      await expireLease(id);
      await rescueExpired(db.sql, opts);
    }
    const [row] = await db.sql.query<{ status: string; error: { code: string; message: string } }>(
      "select status, error from fine_tuning_jobs where id = $1",
      [id],
    );
    expect(row?.status).toBe("failed");
    expect(row?.error.code).toBe("attempts_exhausted");
    expect(row?.error.message).toContain("lease expired");
    expect(row?.error.message).toContain("attempt 2 of 2");
    expect(await claim(db.sql, "w3", opts)).toBeNull();
  });

  it("computes the retry delay as base·2^(attempt−1), capped", () => {
    const policy = { baseSeconds: 5, maxSeconds: 60 };
    expect([1, 2, 3, 4, 5].map((a) => retryDelaySeconds(a, policy))).toEqual([5, 10, 20, 40, 60]);
    expect(retrySchedule(3, policy)).toEqual([5, 10, 20]);
    expect(() => retryDelaySeconds(0, policy)).toThrow(RangeError);
  });

  it("holds a job back for the retry delay after a transient failure", async () => {
    const tenant = await newTenant();
    const id = await queuedJob(tenant);
    const slow = { ...opts, retry: { baseSeconds: 3600, maxSeconds: 7200 } };
    await claim(db.sql, "w", slow);
    const retried = await retryLater(db.sql, id, "w", "storage unreachable", slow, 3);
    expect(retried?.status).toBe("queued");
    const [row] = await db.sql.query<{ delay: number }>(
      "select extract(epoch from run_at - now())::float8 as delay from fine_tuning_jobs where id = $1",
      [id],
    );
    expect(row!.delay).toBeGreaterThan(3590);
    expect(row!.delay).toBeLessThanOrEqual(3600);
    const other = await claim(db.sql, "w2", slow);
    expect(other?.id).not.toBe(id);
  });

  it("lets the API cancel a running job: the holder learns it from its heartbeat and cannot complete it", async () => {
    const tenant = await newTenant();
    const id = await queuedJob(tenant);
    await claim(db.sql, "w", opts);
    expect((await cancel(db.sql, id, tenant))?.status).toBe("cancelled");
    expect(await heartbeat(db.sql, id, "w", 30)).toEqual({ status: "cancelled", pauseRequested: false });
    const done = {
      fineTunedModel: "x",
      resultFiles: [],
      trainedTokens: 0,
      progress: emptyProgress(),
      backend: "cpu",
    };
    expect(await succeed(db.sql, id, "w", done)).toBeNull();
    expect(await cancel(db.sql, id, tenant)).toBeNull();
  });

  it("pauses a running job through its worker and resumes it as queued", async () => {
    const tenant = await newTenant();
    const id = await queuedJob(tenant);
    await claim(db.sql, "w", opts);
    const asked = await requestPause(db.sql, id, tenant);
    expect(asked?.status).toBe("running");
    expect(asked?.pauseRequested).toBe(true);
    expect(await heartbeat(db.sql, id, "w", 30)).toEqual({ status: "running", pauseRequested: true });
    expect((await pauseHeld(db.sql, id, "w"))?.status).toBe("paused");
    const resumed = await resume(db.sql, id, tenant);
    expect(resumed?.status).toBe("queued");
    expect(resumed?.attempts).toBe(0);
    expect((await claim(db.sql, "w2", opts))?.id).toBe(id);
  });

  it("records token counts past 2^31 (a long run on a large dataset)", async () => {
    const tenant = await newTenant();
    const id = await queuedJob(tenant);
    await claim(db.sql, "w", opts);
    const tokens = 3_000_000_000;
    const progress = {
      progress: emptyProgress(),
      trainedTokens: tokens,
      estimatedFinish: null,
      backend: "cpu",
    };
    expect(await updateProgress(db.sql, id, "w", progress)).toBe(true);
    const done = {
      fineTunedModel: "ft:m",
      resultFiles: [],
      trainedTokens: tokens + 1,
      progress: emptyProgress(),
      backend: "cpu",
    };
    expect((await succeed(db.sql, id, "w", done))?.trainedTokens).toBe(tokens + 1);
  });

  it("gives the attempt back when a worker releases a job on shutdown", async () => {
    const tenant = await newTenant();
    const id = await queuedJob(tenant);
    await claim(db.sql, "w", opts);
    const released = await release(db.sql, id, "w");
    expect(released?.status).toBe("queued");
    expect(released?.attempts).toBe(0);
    expect(released?.lockedBy).toBeNull();
  });
});
