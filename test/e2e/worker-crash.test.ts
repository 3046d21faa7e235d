// A worker process killed mid-run (SIGKILL: no clean exit, no checkpoint on the way out): its lease expires,
// the rescuer re-queues the job, another worker resumes it from the latest stored checkpoint with the GradES
// frozen set kept, and the job succeeds. SIGTERM hands a job back cleanly. A worker whose database connections
// are terminated again and again retries and finishes its job. Both need a database that several processes share: real Postgres (TEST_DATABASE_URL).
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../support/app.ts";
import { testDatabaseUrl } from "../support/postgres.ts";
import { chatDataset, postJson, uploadDataset } from "./helpers.ts";
import {
  DEMO_TINY_JOB,
  finished,
  type Job,
  startTestWorker,
  waitForJob,
  withDemoModel,
} from "./training-support.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const onPostgres = Boolean(testDatabaseUrl());
if (!onPostgres) {
  console.warn(
    "worker-crash suite skipped: it needs TEST_DATABASE_URL (a Postgres database several processes share)",
  );
}

let t: TestApp;
let trainingFile: string;

/** A worker in a process of its own (`npm run worker`'s entry point) on the test's database and storage. */
function spawnWorker(env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "infra/worker.ts"], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      ...process.env,
      DATABASE_URL: t.db.url!,
      GRADES_DATA_DIR: t.config.dataDir,
      GRADES_BACKEND: t.config.backend,
      GRADES_DEMO_MODEL: "false",
      GRADES_WORKER_LEASE_SECONDS: "3",
      GRADES_WORKER_POLL_SECONDS: "0.25",
      LOG_LEVEL: "error",
      ...env,
    },
  });
}

async function events(id: string) {
  const res = await t.request(`/v1/fine_tuning/jobs/${id}/events?limit=1000`);
  return (
    (await res.json()) as { data: { message: string; data: Record<string, any> | null }[] }
  ).data.reverse();
}

describe.skipIf(!onPostgres)("crash recovery with the real engine (Postgres)", () => {
  beforeAll(async () => {
    t = await createTestApp({ env: { GRADES_RETRY_BASE_SECONDS: "0", GRADES_WORKER_LEASE_SECONDS: "3" } });
    await withDemoModel(t);
    trainingFile = await uploadDataset(t, chatDataset(8));
  });
  afterAll(async () => {
    await t?.close();
  });

  const create = async (body: Record<string, unknown>) => {
    const res = await postJson(t, "/v1/fine_tuning/jobs", {
      ...DEMO_TINY_JOB,
      training_file: trainingFile,
      // Measured from step 2, each step's G (no moving average): the MLP matrices (small G on this data) freeze
      // at step 3, attention keeps training.
      grades: { alpha: 0, tau: 3e-3, normalize: "mean", relative_tau: null, smoothing: null },
      ...body,
    });
    const job = (await res.json()) as Job;
    if (res.status !== 200) throw new Error(JSON.stringify(job));
    return job;
  };

  it("on SIGTERM, a worker process checkpoints, hands its job back to the queue and exits", async () => {
    const job = await create({ max_steps: 200, checkpoint_every: 1000, grades: { enabled: false } });
    const child = spawnWorker();
    const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    await waitForJob(t, job.id, (j) => j.status === "running" && j.grades.steps_completed >= 1, 120_000);
    child.kill("SIGTERM");
    expect(await exit).toBe(0);
    const [row] = await t.db.sql.query<{ status: string; attempts: number; locked_by: string | null }>(
      "select status, attempts, locked_by from fine_tuning_jobs where id = $1",
      [job.id],
    );
    expect(row).toEqual({ status: "queued", attempts: 0, locked_by: null });
    const [ckpt] = await t.db.sql.query<{ step: number }>(
      "select max(step)::int as step from fine_tuning_checkpoints where job_id = $1",
      [job.id],
    );
    expect(ckpt!.step).toBeGreaterThanOrEqual(1);
    await t.request(`/v1/fine_tuning/jobs/${job.id}/cancel`, { method: "POST" });
  });

  it("resumes a job from its checkpoint on another worker after its worker process is killed", async () => {
    const job = await create({ max_steps: 16, checkpoint_every: 2 });
    const child = spawnWorker();
    let exited = false;
    child.on("exit", () => {
      exited = true;
    });
    try {
      // Kill once a checkpoint taken after the first freezes is stored.
      await waitForJob(t, job.id, (j) => j.status === "running" && j.grades.frozen_components > 0, 120_000);
      for (;;) {
        const [row] = await t.db.sql.query<{ step: number }>(
          "select max(step)::int as step from fine_tuning_checkpoints where job_id = $1",
          [job.id],
        );
        if ((row?.step ?? 0) >= 4) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
    } finally {
      if (!exited) child.kill("SIGKILL");
    }
    const before = await events(job.id);
    const frozenBeforeKill = before.filter((e) => e.message.startsWith("GradES froze")).map((e) => e.data!);
    expect(frozenBeforeKill.length).toBeGreaterThan(0);
    const [killedAt] = await t.db.sql.query<{ step: number }>(
      "select max(step)::int as step from fine_tuning_checkpoints where job_id = $1",
      [job.id],
    );

    const worker = await startTestWorker(t, { leaseSeconds: 3 });
    try {
      const done = await waitForJob(t, job.id, finished, 120_000);
      expect({ status: done.status, error: done.error }).toEqual({ status: "succeeded", error: null });
      if (done.grades.stop_reason === "max_steps") expect(done.grades.steps_completed).toBe(16);
      else expect(done.grades).toMatchObject({ stop_reason: "all_frozen", frozen_fraction: 1 });
      const after = await events(job.id);
      const messages = after.map((e) => e.message);
      expect(messages.some((m) => m.startsWith("The worker stopped responding; job re-queued"))).toBe(true);
      const resumedAt = Number(/Resuming from checkpoint at step (\d+)/.exec(messages.join("\n"))?.[1]);
      expect(resumedAt).toBeGreaterThanOrEqual(killedAt!.step);
      const [row] = await t.db.sql.query<{ attempts: number }>(
        "select attempts from fine_tuning_jobs where id = $1",
        [job.id],
      );
      expect(row!.attempts).toBe(2);
      // The frozen set survived: every component frozen at or before the resumed checkpoint is still frozen at that step.
      const grades = (await (await t.request(`/v1/fine_tuning/jobs/${job.id}/grades`)).json()) as Record<
        string,
        any
      >;
      const frozenAt = (component: string) => {
        const m = /layers\.(\d+)\.(?:self_attn|mlp)\.(\w+)$/.exec(component)!;
        return grades.layers.find((l: { layer: number }) => l.layer === Number(m[1])).matrices[m[2]!]
          .frozen_at_step;
      };
      const kept = frozenBeforeKill.filter((f) => f.step <= resumedAt);
      expect(kept.length).toBeGreaterThan(0);
      for (const f of kept) expect(frozenAt(f.component)).toBe(f.step);
    } finally {
      await worker.stop();
    }
  });

  it("retries through its database connections being terminated mid-run, and the job succeeds", async () => {
    // Only the worker process's connections are killed (it names itself through PGAPPNAME).
    const child = spawnWorker({ PGAPPNAME: "grades-test-worker" });
    const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      const job = await create({ max_steps: 20, checkpoint_every: 4, grades: { enabled: false } });
      await waitForJob(t, job.id, (j) => j.status === "running" && j.grades.steps_completed >= 1, 120_000);
      let kills = 0;
      for (;;) {
        const [row] = await t.db.sql.query<{ status: string }>(
          "select status from fine_tuning_jobs where id = $1",
          [job.id],
        );
        if (row!.status !== "running") break;
        const killed = await t.db.sql.query(
          `select pg_terminate_backend(pid) from pg_stat_activity
           where datname = current_database() and application_name = 'grades-test-worker'`,
        );
        kills += killed.length;
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(kills).toBeGreaterThan(2);
      const done = await waitForJob(t, job.id, finished);
      expect({ status: done.status, error: done.error }).toEqual({ status: "succeeded", error: null });
      expect(done.grades.steps_completed).toBe(20);
      // Retried in place: the same worker process, still alive, finished it on its first attempt.
      expect(child.exitCode).toBeNull();
      const [row] = await t.db.sql.query<{ attempts: number }>(
        "select attempts from fine_tuning_jobs where id = $1",
        [job.id],
      );
      expect(row!.attempts).toBe(1);
    } finally {
      child.kill("SIGTERM");
      await exit;
    }
  });
});
