// The worker's machinery with a stand-in for the engine (fast, same contract): many jobs on several workers,
// cancel and pause/resume of a running job, a lost lease, a clean hand-back on stop. The same paths with the
// real engine, and dropped database connections, are in test/e2e.
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobRow } from "../../db/queue/jobs.ts";
import { CheckpointError, SafetensorsError, TokenizerLoadError } from "../../worker/engine/index.ts";
import type { RunningWorker } from "../../worker/index.ts";
import { chatDataset, postJson, uploadDataset } from "../e2e/helpers.ts";
import { finished, getJob, type Job, startTestWorker, waitForJob } from "../e2e/training-support.ts";
import { createTestApp, type TestApp } from "../support/app.ts";
import { registerStandInModel, type StandInOptions, standInTrain } from "./stand-in-train.ts";

let t: TestApp;
let trainingFile: string;

beforeAll(async () => {
  t = await createTestApp({ env: { GRADES_TENANT_MAX_RUNNING_JOBS: "10", GRADES_RETRY_BASE_SECONDS: "0" } });
  await registerStandInModel(t);
  trainingFile = await uploadDataset(t, chatDataset(4));
});
afterAll(async () => {
  await t?.close();
});

async function createJob(body: Record<string, unknown> = {}): Promise<Job> {
  const res = await postJson(t, "/v1/fine_tuning/jobs", {
    model: "stand-in-base",
    training_file: trainingFile,
    ...body,
  });
  const job = (await res.json()) as Job;
  if (res.status !== 200) throw new Error(JSON.stringify(job));
  return job;
}

async function lockedBy(id: string): Promise<string | null> {
  const [row] = await t.db.sql.query<{ locked_by: string | null }>(
    "select locked_by from fine_tuning_jobs where id = $1",
    [id],
  );
  return row!.locked_by;
}

describe("workers", () => {
  it("run many jobs on several workers without ever running one twice", async () => {
    const claims: JobRow[] = [];
    const workers = await Promise.all(
      [0, 1, 2].map(() =>
        startTestWorker(t, { train: standInTrain({ stepMs: 5 }), onClaim: (j) => claims.push(j) }),
      ),
    );
    try {
      const jobs = await Promise.all(Array.from({ length: 12 }, () => createJob({ max_steps: 3 })));
      const done = await Promise.all(jobs.map((j) => waitForJob(t, j.id, finished)));
      expect(done.map((j) => j.status)).toEqual(jobs.map(() => "succeeded"));
      const claimed = claims.map((c) => c.id).filter((id) => jobs.some((j) => j.id === id));
      expect(claimed.sort()).toEqual(jobs.map((j) => j.id).sort());
      expect(new Set(claims.map((c) => c.lockedBy)).size).toBeGreaterThan(1);
      // One download of the base model and of the dataset served every job.
      expect(await readdir(join(t.config.worker.cacheDir, "models"))).toHaveLength(1);
      expect(await readdir(join(t.config.worker.cacheDir, "files"))).toEqual([`${trainingFile}.jsonl`]);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
  });

  describe("with one worker", () => {
    let worker: RunningWorker;
    const calls: NonNullable<StandInOptions["calls"]> = [];
    beforeAll(async () => {
      worker = await startTestWorker(t, { train: standInTrain({ stepMs: 25, freezeAt: 2, calls }) });
    });
    afterAll(async () => {
      await worker.stop();
    });

    it("stops a running job within seconds of its cancellation and lets go of it", async () => {
      const job = await createJob({ max_steps: 100_000 });
      await waitForJob(t, job.id, (j) => j.status === "running" && j.grades.steps_completed >= 2);
      const t0 = Date.now();
      const res = await t.request(`/v1/fine_tuning/jobs/${job.id}/cancel`, { method: "POST" });
      expect(((await res.json()) as Job).status).toBe("cancelled");
      while ((await lockedBy(job.id)) !== null) {
        if (Date.now() - t0 > 5000) throw new Error("the worker did not let go of the cancelled job");
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(Date.now() - t0).toBeLessThan(5000);
      const after = await getJob(t, job.id);
      await new Promise((r) => setTimeout(r, 300));
      expect((await getJob(t, job.id)).grades.steps_completed).toBe(after.grades.steps_completed);
      expect((await getJob(t, job.id)).status).toBe("cancelled");
    });

    it("pauses a running job at a checkpoint and resumes it from there with its frozen set", async () => {
      const job = await createJob({ max_steps: 200, checkpoint_every: 1000 });
      await waitForJob(t, job.id, (j) => j.status === "running" && j.grades.steps_completed >= 3);
      const asked = (await (
        await t.request(`/v1/fine_tuning/jobs/${job.id}/pause`, { method: "POST" })
      ).json()) as Job;
      expect(asked.pause_requested).toBe(true);
      const paused = await waitForJob(t, job.id, (j) => j.status === "paused", 10_000);
      const ckpts = (await (await t.request(`/v1/fine_tuning/jobs/${job.id}/checkpoints`)).json()) as {
        data: { step_number: number }[];
      };
      expect(ckpts.data).toHaveLength(1);
      const pausedAt = ckpts.data[0]!.step_number;
      expect(pausedAt).toBe(paused.grades.steps_completed);

      await t.request(`/v1/fine_tuning/jobs/${job.id}/resume`, { method: "POST" });
      const done = await waitForJob(t, job.id, finished);
      expect(done.status).toBe("succeeded");
      const runs = calls.filter((c) => c.spec.trainFile.length > 0 && c.spec.outputDir.includes(job.id));
      expect(runs.map((c) => c.startStep)).toEqual([1, pausedAt + 1]);
      expect(runs[1]!.spec.resumeFrom).toMatch(new RegExp(`step-${pausedAt}$`));
      const grades = (await (await t.request(`/v1/fine_tuning/jobs/${job.id}/grades`)).json()) as Record<
        string,
        any
      >;
      expect(grades.layers[0].matrices.q_proj.frozen_at_step).toBe(2);
      const events = (await (await t.request(`/v1/fine_tuning/jobs/${job.id}/events?limit=1000`)).json()) as {
        data: { message: string }[];
      };
      const messages = events.data.map((e) => e.message).reverse();
      expect(messages).toContain("Fine-tuning job paused");
      expect(messages).toContain("Fine-tuning job resumed");
      expect(messages).toContain(`Resuming from checkpoint at step ${pausedAt}`);
    });

    it("drops a job whose lease was lost, and the job resumes from its checkpoint after the rescue", async () => {
      const job = await createJob({ max_steps: 30, checkpoint_every: 4 });
      await waitForJob(t, job.id, (j) => j.status === "running" && j.grades.steps_completed >= 9);
      // Another holder took over (as after an expiry and a rescue): the worker's next heartbeat fails.
      await t.db.sql.query(
        "update fine_tuning_jobs set locked_by = 'ghost', locked_until = now() - interval '1 second' where id = $1",
        [job.id],
      );
      const done = await waitForJob(t, job.id, finished);
      expect(done.status).toBe("succeeded");
      const runs = calls.filter((c) => c.spec.outputDir.includes(job.id));
      expect(runs).toHaveLength(2);
      expect(runs[1]!.startStep).toBeGreaterThanOrEqual(9);
      expect((runs[1]!.startStep - 1) % 4).toBe(0);
      const events = (await (await t.request(`/v1/fine_tuning/jobs/${job.id}/events?limit=1000`)).json()) as {
        data: { message: string }[];
      };
      expect(
        events.data.some((e) => e.message.startsWith("The worker stopped responding; job re-queued")),
      ).toBe(true);
    });

    it("hands a running job back to the queue with a checkpoint when it is stopped", async () => {
      const other = await startTestWorker(t, { train: standInTrain({ stepMs: 25, calls }) });
      const job = await createJob({ max_steps: 100_000, checkpoint_every: 100_000 });
      const running = await waitForJob(
        t,
        job.id,
        (j) => j.status === "running" && j.grades.steps_completed >= 3,
      );
      const [holder] = await t.db.sql.query<{ locked_by: string }>(
        "select locked_by from fine_tuning_jobs where id = $1",
        [job.id],
      );
      const target = holder!.locked_by === other.workerId ? other : worker;
      await target.stop();
      const [row] = await t.db.sql.query<{ status: string; attempts: number; locked_by: string | null }>(
        "select status, attempts, locked_by from fine_tuning_jobs where id = $1",
        [job.id],
      );
      // Handed back (and maybe claimed again at once by the other worker, with a fresh attempt count).
      expect(["queued", "running"]).toContain(row!.status);
      expect(row!.locked_by).not.toBe(target.workerId);
      const ckpts = (await (await t.request(`/v1/fine_tuning/jobs/${job.id}/checkpoints`)).json()) as {
        data: { step_number: number }[];
      };
      expect(ckpts.data[0]!.step_number).toBeGreaterThanOrEqual(running.grades.steps_completed);
      const events = (await (await t.request(`/v1/fine_tuning/jobs/${job.id}/events?limit=1000`)).json()) as {
        data: { message: string }[];
      };
      expect(events.data.map((e) => e.message)).toContain(
        "Worker shut down; job re-queued to continue from its latest checkpoint",
      );
      await t.request(`/v1/fine_tuning/jobs/${job.id}/cancel`, { method: "POST" });
      if (target === worker) worker = other;
      else await other.stop();
    });
  });
});

describe("a job cancelled while its results are being recorded", () => {
  it("is let go of, and its uploaded output, result files and model are discarded", async () => {
    // Training finishes, then the API cancels the job before the worker records success: the lease-guarded
    // move to succeeded is refused, and nothing of the results may outlive that.
    const cancelAtEnd = async (...args: Parameters<ReturnType<typeof standInTrain>>) => {
      const summary = await standInTrain({ stepMs: 5 })(...args);
      const id = /(ftjob-[A-Za-z0-9]+)-\d+-/.exec(args[0].outputDir)![1]!;
      await t.request(`/v1/fine_tuning/jobs/${id}/cancel`, { method: "POST" });
      return summary;
    };
    const worker = await startTestWorker(t, { train: cancelAtEnd });
    try {
      const job = await createJob({ max_steps: 3 });
      const t0 = Date.now();
      const runs = `jobs/${t.tenantId}/${job.id}/runs/`;
      const outputs = async () => (await t.storage.list(runs)).filter((o) => o.key.includes("/output/"));
      while (
        (await getJob(t, job.id)).status !== "cancelled" ||
        (await lockedBy(job.id)) !== null ||
        (await outputs()).length > 0
      ) {
        if (Date.now() - t0 > 10_000)
          throw new Error(`job not let go of: ${JSON.stringify(await getJob(t, job.id))}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const done = await getJob(t, job.id);
      expect({
        status: done.status,
        fine_tuned_model: done.fine_tuned_model,
        result_files: done.result_files,
      }).toEqual({ status: "cancelled", fine_tuned_model: null, result_files: [] });
      const results = await t.db.sql.query("select id from files where filename like $1", [`${job.id}-%`]);
      expect(results).toEqual([]);
      const models = await t.db.sql.query("select id from models where source ->> 'job_id' = $1", [job.id]);
      expect(models).toEqual([]);
    } finally {
      await worker.stop();
    }
  });
});

describe("a job retried after a failed attempt", () => {
  it("counts trained tokens from its checkpoint, not twice for the steps it repeats", async () => {
    // The first attempt fails at step 6, after its checkpoint at step 4 and with its progress (60 tokens)
    // written; the retry resumes from step 4. Each stand-in step trains 10 tokens: 12 steps are 120 tokens.
    let attempts = 0;
    const failOnce = async (...args: Parameters<ReturnType<typeof standInTrain>>) => {
      const [spec, hooks] = args;
      if (attempts++ > 0) return standInTrain({ stepMs: 5 })(spec, hooks);
      return standInTrain({ stepMs: 5 })(spec, {
        ...hooks,
        onEvent: async (e) => {
          await hooks.onEvent?.(e);
          if (e.type === "step" && e.step === 6) throw new Error("the machine ran out of something");
        },
      });
    };
    const worker = await startTestWorker(t, { train: failOnce });
    try {
      const job = await createJob({ max_steps: 12, checkpoint_every: 4 });
      const done = await waitForJob(t, job.id, finished);
      expect({ status: done.status, attempts }).toEqual({ status: "succeeded", attempts: 2 });
      expect(done.trained_tokens).toBe(120);
      const ckpts = (await (await t.request(`/v1/fine_tuning/jobs/${job.id}/checkpoints`)).json()) as {
        data: { step_number: number; metrics: { trained_tokens: number } }[];
      };
      expect(ckpts.data.map((c) => [c.step_number, c.metrics.trained_tokens])).toEqual([
        [12, 120],
        [8, 80],
        [4, 40],
      ]);
    } finally {
      await worker.stop();
    }
  });
});

describe("a job whose input is bad", () => {
  it("fails at once with the engine's message, without a retry, for every kind of input error", async () => {
    const errors = [
      new TokenizerLoadError("tokenizer.json could not be loaded (no decoder)"),
      new CheckpointError("checkpoint misses trainable tensor model.layers.0.self_attn.q_proj"),
      new SafetensorsError("model.safetensors: file too short for a safetensors header"),
    ];
    const codes = ["invalid_model", "invalid_checkpoint", "invalid_model"];
    let calls = 0;
    const worker = await startTestWorker(t, {
      train: async () => {
        throw errors[calls++ % errors.length]!;
      },
    });
    try {
      for (const [i, err] of errors.entries()) {
        const job = await createJob();
        const done = await waitForJob(t, job.id, finished);
        expect(done.status).toBe("failed");
        expect(done.error).toMatchObject({ code: codes[i], message: err.message });
        const [row] = await t.db.sql.query<{ attempts: number }>(
          "select attempts from fine_tuning_jobs where id = $1",
          [job.id],
        );
        expect(row!.attempts).toBe(1);
      }
      expect(calls).toBe(errors.length);
    } finally {
      await worker.stop();
    }
  });
});
