// fineTuning.jobs through the SDK against the live service and a worker training the built-in demo model with
// the real engine: create → wait (progress) and follow (events) → checkpoints, freeze map, events pages → the
// adapter, unpacked into a folder and loaded by the engine; then pause, resume and cancel of a running job.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtinModelFingerprint, builtinModelPrefix } from "../../api/models/builtin-model.ts";
import { BUILTIN_MODEL_DIR } from "../../models/builtin.ts";
import { downloadPrefix } from "../../worker/cache.ts";
import { score } from "../../worker/engine/index.ts";
import {
  ConflictError,
  type FineTuningJob,
  type FineTuningJobEvent,
  type Grades,
  type JobProgress,
  readTarGz,
} from "../src/index.ts";
import { chatDataset, slowedTrain, startTestService, type TestService } from "./support/service.ts";

let svc: TestService;
let client: Grades;
let dir: string;
let trainingFile: string;
const DATA = chatDataset(8);

beforeAll(async () => {
  // Steps padded to at least 150 ms: a pause or cancel request arrives while a job still has steps to go.
  svc = await startTestService({ worker: { leaseSeconds: 2, train: slowedTrain(150) } });
  client = svc.client();
  dir = await mkdtemp(join(tmpdir(), "grades-sdk-jobs-"));
  trainingFile = (
    await client.files.create({ file: Buffer.from(DATA), filename: "train.jsonl", purpose: "fine-tune" })
  ).id;
});
afterAll(async () => {
  await svc?.close();
  await rm(dir, { recursive: true, force: true });
});

async function until(id: string, ok: (j: FineTuningJob) => boolean): Promise<FineTuningJob> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const job = await client.fineTuning.jobs.retrieve(id);
    if (ok(job)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} stuck at ${job.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("a job from creation to adapter through the SDK", () => {
  it("trains, reports progress through wait, streams its events through follow, and yields a loadable adapter", async () => {
    const jobs = client.fineTuning.jobs;
    const created = await jobs.create({
      model: "demo-tiny",
      training_file: trainingFile,
      suffix: "sdk",
      seed: 3,
      metadata: { suite: "sdk-jobs" },
      learning_rate: 0.01,
      max_steps: 4,
      checkpoint_every: 2,
      method: { type: "supervised", supervised: { hyperparameters: { batch_size: 4, n_epochs: 10 } } },
      lora: { r: 4, alpha: 8 },
      grades: { alpha: 0.5 },
    });
    expect(created).toMatchObject({ object: "fine_tuning.job", status: "queued", training_type: "lora" });
    expect(created.grades.options).toMatchObject({ alpha: 0.5 });

    // wait and follow side by side, as two parts of one program would.
    const progress: JobProgress[] = [];
    const collect = async (events: AsyncIterable<FineTuningJobEvent>) => {
      const out: FineTuningJobEvent[] = [];
      for await (const e of events) out.push(e);
      return out;
    };
    const [job, events] = await Promise.all([
      jobs.wait(created.id, { pollInterval: 150, onProgress: (p) => progress.push(p) }),
      collect(jobs.follow(created.id, { pollInterval: 150 })),
    ]);

    expect({ status: job.status, error: job.error }).toEqual({ status: "succeeded", error: null });
    expect(job.fine_tuned_model).toMatch(/^ft:demo-tiny:test-tenant:sdk:/);
    expect(job.grades).toMatchObject({ steps_completed: 4, total_steps: 4, stop_reason: "max_steps" });

    // Progress: reported on change only, steps never going back, a finite loss once steps ran, the end state last.
    const steps = progress.map((p) => p.step);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(progress.at(-1)).toMatchObject({ status: "succeeded", step: 4, total_steps: 4 });
    expect(Number.isFinite(progress.at(-1)!.train_loss)).toBe(true);
    const keys = progress.map((p) => JSON.stringify([p.status, p.step, p.train_loss, p.frozen_fraction]));
    expect(new Set(keys).size).toBe(keys.length);
    for (const p of progress) expect(p.frozen_fraction).toBeGreaterThanOrEqual(0);

    // follow: every event once, oldest first, ending with the job; the same as the full event list.
    const all: FineTuningJobEvent[] = [];
    for await (const e of jobs.listEvents(job.id, { limit: 3 })) all.push(e);
    expect(events.map((e) => e.id)).toEqual(all.map((e) => e.id).reverse());
    expect(events.at(-1)!.message).toBe("The job has successfully completed");
    const metricSteps = events.filter((e) => e.type === "metrics").map((e) => e.data!.step);
    expect(metricSteps).toEqual([1, 2, 3, 4]);

    const checkpoints: number[] = [];
    for await (const c of jobs.checkpoints.list(job.id, { limit: 1 })) checkpoints.push(c.step_number);
    expect(checkpoints).toEqual([4, 2]);

    const grades = (await jobs.grades(job.id)) as { object: string; layers: { layer: number }[] };
    expect(grades.object).toBe("fine_tuning.job.grades");
    const layers = (
      JSON.parse(await readFile(join(BUILTIN_MODEL_DIR, "config.json"), "utf8")) as {
        num_hidden_layers: number;
      }
    ).num_hidden_layers;
    expect(grades.layers.map((l) => l.layer)).toEqual([...Array(layers).keys()]);

    const listed: string[] = [];
    for await (const j of jobs.list({ metadata: { suite: "sdk-jobs" } })) listed.push(j.id);
    expect(listed).toEqual([job.id]);
    expect((await jobs.list({ metadata: { suite: "other" } })).data).toEqual([]);

    // The adapter unpacked into a folder: PEFT files that the engine loads and that lower the training loss.
    const adapterDir = join(dir, "adapter");
    const folder = await jobs.adapter(job.id, { dir: adapterDir });
    expect(folder.dir).toBe(adapterDir);
    expect(folder.files).toEqual(
      expect.arrayContaining(["adapter_config.json", "adapter_model.safetensors"]),
    );
    const modelDir = join(dir, "base");
    await downloadPrefix(svc.t.storage, builtinModelPrefix(await builtinModelFingerprint()), modelDir);
    const dataFile = join(dir, "train.jsonl");
    await writeFile(dataFile, DATA);
    const before = await score({ modelDir, dataFile, maxSeqLen: 512 });
    const after = await score({ modelDir, dataFile, maxSeqLen: 512, adapterDir });
    expect(after.tokens).toBe(before.tokens);
    expect(after.loss).toBeLessThan(before.loss - 0.1);

    // Or the archive as a stream, read with the SDK's tar reader.
    const names: string[] = [];
    for await (const entry of readTarGz(await jobs.adapter(job.id))) {
      if (entry.type === "file") names.push(entry.name);
    }
    expect(names.sort()).toEqual(folder.files.map((f) => `${job.id}-adapter/${f}`));
  });

  it("pauses a running job, resumes it, and cancels it", async () => {
    const jobs = client.fineTuning.jobs;
    const job = await jobs.create({
      model: "demo-tiny",
      training_file: trainingFile,
      max_steps: 300,
      checkpoint_every: 1000,
      method: { type: "supervised", supervised: { hyperparameters: { batch_size: 2 } } },
      lora: { r: 2 },
    });
    await until(job.id, (j) => j.status === "running" && j.grades.steps_completed >= 1);
    const pausing = await jobs.pause(job.id);
    expect(pausing.status === "paused" || pausing.pause_requested).toBe(true);
    const paused = await until(job.id, (j) => j.status === "paused");
    const pausedAt = paused.grades.steps_completed;
    const ckpts = await jobs.checkpoints.list(job.id);
    expect(ckpts.data[0]?.step_number).toBe(pausedAt);

    expect((await jobs.resume(job.id)).status).toBe("queued");
    await until(job.id, (j) => j.status === "running" && j.grades.steps_completed > pausedAt);
    expect((await jobs.cancel(job.id)).status).toBe("cancelled");

    const notSucceeded = await jobs.adapter(job.id).catch((e: unknown) => e);
    expect(notSucceeded).toBeInstanceOf(ConflictError);
    expect(notSucceeded).toMatchObject({ status: 409, code: "invalid_job_state" });
    const again = await jobs.cancel(job.id).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(ConflictError);
    // wait returns at once for a terminal job.
    expect((await jobs.wait(job.id)).status).toBe("cancelled");
  });
});
