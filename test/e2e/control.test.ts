// Controlling running jobs with the real engine on the demo model: cancel, pause/resume from the pause
// checkpoint, and several workers sharing many jobs without running any twice.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobRow } from "../../db/queue/jobs.ts";
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

/** GradES measured from step 2 with a threshold between the MLP's and the attention's G on this data. */
const PARTIAL_FREEZE = {
  max_steps: 10,
  checkpoint_every: 100,
  seed: 3,
  learning_rate: 0.01,
  method: { type: "supervised", supervised: { hyperparameters: { batch_size: 4 } } },
  lora: { r: 4, alpha: 8 },
  grades: { alpha: 0, tau: 3e-3, normalize: "mean", relative_tau: null },
};

const post = (path: string) => t.request(path, { method: "POST" }).then((r) => r.json() as Promise<Job>);

describe("running jobs under control (real engine)", () => {
  it("cancels a running job within seconds, and pauses and resumes another from its checkpoint", async () => {
    const worker = await startTestWorker(t);
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

      // These settings freeze the MLP matrices (small G) at step 2 and keep the attention ones training.
      const job = await createJob(PARTIAL_FREEZE);
      // The first measurement (step 2) never freezes; step 3 is the first that can.
      await waitForJob(t, job.id, (j) => j.status === "running" && j.grades.frozen_components > 0);
      expect((await post(`/v1/fine_tuning/jobs/${job.id}/pause`)).pause_requested).toBe(true);
      const paused = await waitForJob(t, job.id, (j) => j.status === "paused" || finished(j));
      expect(paused.status).toBe("paused");
      const ckpts = (await (await t.request(`/v1/fine_tuning/jobs/${job.id}/checkpoints`)).json()) as {
        data: { step_number: number }[];
      };
      const pausedAt = ckpts.data[0]!.step_number;
      expect(ckpts.data.map((c) => c.step_number)).toEqual([pausedAt]);
      expect(pausedAt).toBeLessThan(10);
      const frozenBefore = (await (
        await t.request(`/v1/fine_tuning/jobs/${job.id}/events?limit=1000`)
      ).json()) as {
        data: { message: string; data: { component?: string; step?: number } | null }[];
      };
      const frozenAtPause = frozenBefore.data
        .filter((e) => e.message.startsWith("GradES froze"))
        .map((e) => e.data!);
      expect(frozenAtPause.length).toBeGreaterThan(0);
      expect(frozenAtPause.length).toBeLessThan(14);

      expect((await post(`/v1/fine_tuning/jobs/${job.id}/resume`)).status).toBe("queued");
      const done = await waitForJob(t, job.id, finished);
      expect({ status: done.status, error: done.error }).toEqual({ status: "succeeded", error: null });
      // The resumed run trained on past the pause: to max_steps, or until GradES froze every matrix.
      expect(done.grades.steps_completed).toBeGreaterThan(pausedAt);
      if (done.grades.stop_reason === "max_steps") expect(done.grades.steps_completed).toBe(10);
      else expect(done.grades).toMatchObject({ stop_reason: "all_frozen", frozen_fraction: 1 });
      const events = (await (await t.request(`/v1/fine_tuning/jobs/${job.id}/events?limit=1000`)).json()) as {
        data: { message: string }[];
      };
      expect(events.data.map((e) => e.message)).toContain(`Resuming from checkpoint at step ${pausedAt}`);
      // Components frozen before the pause stay frozen at the same step after the resume.
      const grades = (await (await t.request(`/v1/fine_tuning/jobs/${job.id}/grades`)).json()) as Record<
        string,
        any
      >;
      const frozenAt = new Map<string, number | null>();
      for (const l of grades.layers) {
        for (const [m, v] of Object.entries(
          l.matrices as Record<string, { frozen_at_step: number | null }>,
        )) {
          const block = ["q_proj", "k_proj", "v_proj", "o_proj"].includes(m) ? "self_attn" : "mlp";
          frozenAt.set(`model.layers.${l.layer}.${block}.${m}`, v.frozen_at_step);
        }
      }
      for (const f of frozenAtPause) expect(frozenAt.get(f.component!)).toBe(f.step);
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
