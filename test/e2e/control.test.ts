// Controlling running jobs with the real engine on the demo model: cancel, pause/resume from the pause
// checkpoint (the frozen set surviving a resume is checked in worker-crash.test.ts and test/worker), and several workers sharing many jobs without running any twice.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobRow } from "../../db/queue/jobs.ts";
import type { TrainFn } from "../../worker/context.ts";
import { train } from "../../worker/engine/index.ts";
import { createTestApp, type TestApp } from "../support/app.ts";
import { chatDataset, postJson, uploadDataset } from "./helpers.ts";
import {
  finished,
  getJob,
  type Job,
  startTestWorker,
  waitForJob,
  withDemoModel,
} from "./training-support.ts";

let t: TestApp;
let trainingFile: string;

beforeAll(async () => {
  t = await createTestApp({ env: { GRADES_TENANT_MAX_RUNNING_JOBS: "4" } });
  await withDemoModel(t);
  trainingFile = await uploadDataset(t, chatDataset(8));
});
afterAll(async () => {
  await t?.close();
});

async function createJob(body: Record<string, unknown>): Promise<Job> {
  const res = await postJson(t, "/v1/fine_tuning/jobs", {
    model: "demo-tiny",
    training_file: trainingFile,
    method: { type: "supervised", supervised: { hyperparameters: { batch_size: 2 } } },
    lora: { r: 2 },
    ...body,
  });
  const job = (await res.json()) as Job;
  if (res.status !== 200) throw new Error(JSON.stringify(job));
  return job;
}

/** The real engine, each step followed by a pause of `ms`. */
function paddedTrain(ms: number): TrainFn {
  return (spec, hooks) =>
    train(spec, {
      ...hooks,
      onEvent: async (e) => {
        await hooks.onEvent?.(e);
        if (e.type === "step") await new Promise((r) => setTimeout(r, ms));
      },
    });
}

const post = (path: string) => t.request(path, { method: "POST" }).then((r) => r.json() as Promise<Job>);

describe("running jobs under control (real engine)", () => {
  it("cancels a running job within seconds, and pauses and resumes another from its checkpoint", async () => {
    // Short leases (heartbeat every ~0.7 s) and steps of at least 0.3 s: a pause or cancel request reliably
    // arrives while the job still has steps to go, however fast the machine trains.
    const worker = await startTestWorker(t, { leaseSeconds: 2, train: paddedTrain(300) });
    try {
      const long = await createJob({ max_steps: 500 });
      await waitForJob(t, long.id, (j) => j.status === "running" && j.grades.steps_completed >= 1);
      const t0 = Date.now();
      expect((await post(`/v1/fine_tuning/jobs/${long.id}/cancel`)).status).toBe("cancelled");
      for (;;) {
        const [row] = await t.db.sql.query<{ locked_by: string | null }>(
          "select locked_by from fine_tuning_jobs where id = $1",
          [long.id],
        );
        if (row!.locked_by === null) break;
        if (Date.now() - t0 > 15_000) throw new Error("the running job was not stopped within 15 s");
        await new Promise((r) => setTimeout(r, 100));
      }
      const cancelled = await getJob(t, long.id);
      expect(cancelled.status).toBe("cancelled");
      expect(cancelled.grades.steps_completed).toBeLessThan(500);

      const job = await createJob({ max_steps: 12, checkpoint_every: 100 });
      await waitForJob(t, job.id, (j) => j.status === "running" && j.grades.steps_completed >= 1);
      expect((await post(`/v1/fine_tuning/jobs/${job.id}/pause`)).pause_requested).toBe(true);
      const paused = await waitForJob(t, job.id, (j) => j.status === "paused" || finished(j));
      expect(paused.status).toBe("paused");
      const ckpts = (await (await t.request(`/v1/fine_tuning/jobs/${job.id}/checkpoints`)).json()) as {
        data: { step_number: number }[];
      };
      const pausedAt = ckpts.data[0]!.step_number;
      expect(ckpts.data.map((c) => c.step_number)).toEqual([pausedAt]);
      expect(pausedAt).toBe(paused.grades.steps_completed);
      expect(pausedAt).toBeLessThan(12);

      expect((await post(`/v1/fine_tuning/jobs/${job.id}/resume`)).status).toBe("queued");
      const done = await waitForJob(t, job.id, finished);
      expect({ status: done.status, error: done.error }).toEqual({ status: "succeeded", error: null });
      if (done.grades.stop_reason === "max_steps") expect(done.grades.steps_completed).toBe(12);
      else expect(done.grades).toMatchObject({ stop_reason: "all_frozen", frozen_fraction: 1 });
      const events = (await (await t.request(`/v1/fine_tuning/jobs/${job.id}/events?limit=1000`)).json()) as {
        data: { message: string }[];
      };
      const messages = events.data.map((e) => e.message);
      expect(messages).toContain("Fine-tuning job paused");
      expect(messages).toContain(`Resuming from checkpoint at step ${pausedAt}`);
      const csvId = done.result_files[1] as string;
      const csv = await (await t.request(`/v1/files/${csvId}/content`)).text();
      // The final run's metrics: the steps after the pause.
      expect(Number(csv.trim().split("\n")[1]!.split(",")[0])).toBe(pausedAt + 1);
    } finally {
      await worker.stop();
    }
  });

  it("runs many jobs on several workers, each exactly once", async () => {
    const claims: JobRow[] = [];
    const workers = await Promise.all(
      [0, 1].map(() => startTestWorker(t, { onClaim: (j) => claims.push(j) })),
    );
    try {
      const jobs = await Promise.all(Array.from({ length: 4 }, () => createJob({ max_steps: 1 })));
      const done = await Promise.all(jobs.map((j) => waitForJob(t, j.id, finished, 180_000)));
      expect(done.map((j) => j.status)).toEqual(["succeeded", "succeeded", "succeeded", "succeeded"]);
      const ids = claims.map((c) => c.id);
      expect(ids.sort()).toEqual(jobs.map((j) => j.id).sort());
      expect(claims.every((c) => c.attempts === 1)).toBe(true);
      expect(new Set(done.map((j) => j.fine_tuned_model)).size).toBe(4);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
  });
});
