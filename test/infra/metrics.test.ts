// /metrics in Prometheus' text format: queue figures read from the database, and a worker's counters of rescued
// leases and job outcomes (a stand-in engine keeps it fast; the distributed suite scrapes real processes).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../api/app.ts";
import { createServiceMetrics, type ServiceMetrics } from "../../metrics/service-metrics.ts";
import { startWorker } from "../../worker/index.ts";
import { chatDataset, postJson, uploadDataset } from "../e2e/helpers.ts";
import { finished, type Job, waitForJob } from "../e2e/training-support.ts";
import { createTestApp, type TestApp } from "../support/app.ts";
import { registerStandInModel, standInTrain } from "../worker/stand-in-train.ts";

let t: TestApp;
let metrics: ServiceMetrics;
let scrapeApp: ReturnType<typeof createApp>;
let trainingFile: string;

/** The value of one sample line (`name{labels} value`) of a scrape; undefined when the line is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function scrape(): Promise<string> {
  const res = await scrapeApp.request("/metrics");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain; version=0.0.4");
  return res.text();
}

beforeAll(async () => {
  t = await createTestApp({ env: { GRADES_RETRY_BASE_SECONDS: "0" } });
  metrics = createServiceMetrics({ sql: t.db.sql });
  scrapeApp = createApp({ ...t.deps, metrics });
  await registerStandInModel(t);
  trainingFile = await uploadDataset(t, chatDataset(4));
});
afterAll(async () => {
  await t?.close();
});

async function createJob(): Promise<Job> {
  const res = await postJson(t, "/v1/fine_tuning/jobs", {
    model: "stand-in-base",
    training_file: trainingFile,
    max_steps: 3,
  });
  const job = (await res.json()) as Job;
  if (res.status !== 200) throw new Error(JSON.stringify(job));
  return job;
}

describe("/metrics", () => {
  it("reports the queue depth, the workers' demand and the jobs by status, as the database holds them", async () => {
    const before = await scrape();
    expect(sample(before, "grades_queue_depth")).toBe(0);
    expect(sample(before, "grades_worker_demand")).toBe(0);
    expect(sample(before, 'grades_jobs{status="succeeded"}')).toBe(0);
    expect(sample(before, "grades_process_resident_memory_bytes")).toBeGreaterThan(0);

    const [a, b, c] = [await createJob(), await createJob(), await createJob()];
    // b waits out a retry delay (not claimable yet); c is running under some worker's lease.
    await t.db.sql.query("update fine_tuning_jobs set run_at = now() + interval '1 hour' where id = $1", [
      b.id,
    ]);
    await t.db.sql.query(
      "update fine_tuning_jobs set status = 'running', locked_by = 'elsewhere', locked_until = now() + interval '1 hour' where id = $1",
      [c.id],
    );
    // The gauges reuse one database read for up to a second: wait past it.
    await new Promise((r) => setTimeout(r, 1100));
    const after = await scrape();
    expect(sample(after, "grades_queue_depth")).toBe(1);
    expect(sample(after, "grades_worker_demand")).toBe(2);
    expect(sample(after, 'grades_jobs{status="queued"}')).toBe(2);
    expect(sample(after, 'grades_jobs{status="running"}')).toBe(1);
    for (const id of [a.id, b.id, c.id]) {
      await t.db.sql.query(
        "update fine_tuning_jobs set status = 'cancelled', locked_by = null where id = $1",
        [id],
      );
    }
  });

  it("counts the leases a worker's rescuer reclaims and the outcomes of the worker's runs", async () => {
    const job = await createJob();
    // A worker that died holding the job: its lease ran out a second ago.
    await t.db.sql.query(
      `update fine_tuning_jobs set status = 'running', locked_by = 'dead-worker', attempts = 1,
         locked_until = now() - interval '1 second' where id = $1`,
      [job.id],
    );
    const worker = await startWorker(
      { ...t.deps, metrics },
      { pollSeconds: 0.2, leaseSeconds: 5, train: standInTrain({ stepMs: 10 }) },
    );
    try {
      const done = await waitForJob(t, job.id, finished);
      expect(done.status).toBe("succeeded");
    } finally {
      await worker.stop();
    }
    const text = await scrape();
    expect(sample(text, 'grades_lease_expiries_total{result="queued"}')).toBe(1);
    expect(sample(text, 'grades_job_runs_total{outcome="succeeded"}')).toBe(1);
    expect(sample(text, 'grades_job_runs_total{outcome="failed"}')).toBeUndefined();
  });
});
