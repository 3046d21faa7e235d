// Upload → create → a worker trains the demo model with the real engine → succeeded → results: the adapter
// archive loads in the engine and lowers the loss on the training data; metrics, checkpoints, freeze map, result
// files and the fine-tuned model are all visible through the API. Then cancel and pause/resume of running jobs.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtinModelFingerprint, builtinModelPrefix } from "../../api/models/builtin-model.ts";
import { BASE_MODEL_RECIPE } from "../../scripts/base-model/recipe.ts";
import { downloadPrefix } from "../../worker/cache.ts";
import { score } from "../../worker/engine/index.ts";
import type { RunningWorker } from "../../worker/index.ts";
import { createTestApp, type TestApp } from "../support/app.ts";
import { chatDataset, postJson, uploadDataset } from "./helpers.ts";
import {
  finished,
  type Job,
  startTestWorker,
  untarGz,
  waitForJob,
  withDemoModel,
} from "./training-support.ts";

let t: TestApp;
let worker: RunningWorker;
let trainingFile: string;
const DATA = chatDataset(8);

beforeAll(async () => {
  t = await createTestApp();
  await withDemoModel(t);
  trainingFile = await uploadDataset(t, DATA);
  worker = await startTestWorker(t);
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

async function createJob(body: Record<string, unknown>): Promise<Job> {
  const res = await postJson(t, "/v1/fine_tuning/jobs", {
    model: "demo-tiny",
    training_file: trainingFile,
    ...body,
  });
  const job = (await res.json()) as Job;
  if (res.status !== 200) throw new Error(JSON.stringify(job));
  return job;
}

describe("a fine-tuning job end to end", () => {
  it("trains the demo model and publishes an adapter that loads in the engine and changes its outputs", async () => {
    const created = await createJob({
      suffix: "blue",
      seed: 3,
      learning_rate: 0.01,
      max_steps: 6,
      checkpoint_every: 2,
      method: { type: "supervised", supervised: { hyperparameters: { batch_size: 4, n_epochs: 10 } } },
      lora: { r: 4, alpha: 8 },
    });
    const job = await waitForJob(t, created.id, finished);
    expect({ status: job.status, error: job.error }).toEqual({ status: "succeeded", error: null });
    expect(job.fine_tuned_model).toMatch(/^ft:demo-tiny:test-tenant:blue:/);
    expect(job.trained_tokens).toBeGreaterThan(0);
    expect(job.backend).toBeTruthy();
    expect(job.grades).toMatchObject({
      steps_completed: 6,
      total_steps: 6,
      stop_reason: "max_steps",
      // The seven projections of each of the built-in model's layers.
      total_components: 7 * BASE_MODEL_RECIPE.model.num_hidden_layers,
    });
    expect(job.result_files).toHaveLength(2);

    // Events: lifecycle messages and metrics events with data.
    const events = (await (await t.request(`/v1/fine_tuning/jobs/${job.id}/events?limit=1000`)).json()) as {
      data: { type: string; message: string; data: Record<string, number> | null }[];
    };
    const messages = events.data.map((e) => e.message);
    expect(messages[0]).toBe("The job has successfully completed");
    expect(messages).toContain("Fine-tuning job started");
    expect(messages).toContain(`New fine-tuned model created: ${job.fine_tuned_model}`);
    const metrics = events.data.filter((e) => e.type === "metrics").map((e) => e.data!);
    expect(metrics.map((m) => m.step!).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const m of metrics) {
      expect(Number.isFinite(m.train_loss)).toBe(true);
      expect(m.tokens_per_second).toBeGreaterThan(0);
      expect(m).toHaveProperty("frozen_fraction");
      expect(m).toHaveProperty("learning_rate");
    }

    // Checkpoints every 2 steps, newest first, with metrics.
    const ckpts = (await (await t.request(`/v1/fine_tuning/jobs/${job.id}/checkpoints`)).json()) as {
      data: {
        object: string;
        step_number: number;
        metrics: Record<string, number>;
        fine_tuned_model_checkpoint: string;
      }[];
    };
    expect(ckpts.data.map((c) => c.step_number)).toEqual([6, 4, 2]);
    expect(ckpts.data[0]!.object).toBe("fine_tuning.job.checkpoint");
    expect(ckpts.data[0]!.metrics.step).toBe(6);
    expect(Number.isFinite(ckpts.data[0]!.metrics.train_loss)).toBe(true);
    expect(ckpts.data[0]!.fine_tuned_model_checkpoint).toBe(`${job.fine_tuned_model}:ckpt-step-6`);

    // The freeze map: the built-in model's layers × 7 matrices.
    const layers = BASE_MODEL_RECIPE.model.num_hidden_layers;
    const grades = (await (await t.request(`/v1/fine_tuning/jobs/${job.id}/grades`)).json()) as Record<
      string,
      any
    >;
    expect(grades.layers.map((l: { layer: number }) => l.layer)).toEqual([...Array(layers).keys()]);
    expect(Object.keys(grades.layers[0].matrices).sort()).toEqual([
      "down_proj",
      "gate_proj",
      "k_proj",
      "o_proj",
      "q_proj",
      "up_proj",
      "v_proj",
    ]);
    expect(grades.history.length).toBeGreaterThan(0);

    // Result files: the metrics CSV (one row per step) and the adapter archive, through /v1/files.
    const files = await Promise.all(
      job.result_files.map(
        async (id: string) => (await (await t.request(`/v1/files/${id}`)).json()) as Record<string, any>,
      ),
    );
    expect(files.map((f) => f.purpose)).toEqual(["fine-tune-results", "fine-tune-results"]);
    const csvFile = files.find((f) => f.filename.endsWith("-metrics.csv"))!;
    const csv = await (await t.request(`/v1/files/${csvFile.id}/content`)).text();
    const lines = csv.trim().split("\n");
    expect(lines[0]).toBe("step,train_loss,valid_loss,learning_rate,frozen_fraction,tokens_per_second");
    expect(lines.slice(1).map((l) => Number(l.split(",")[0]))).toEqual([1, 2, 3, 4, 5, 6]);

    // The fine-tuned model is listed.
    const models = (await (await t.request("/v1/models")).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toContain(job.fine_tuned_model);

    // The adapter archive from /adapter: PEFT files that the engine loads and that lower the training loss.
    const res = await t.request(`/v1/fine_tuning/jobs/${job.id}/adapter`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/gzip");
    const { dir, names } = await untarGz(await res.arrayBuffer());
    expect(names).toContain(`${job.id}-adapter/adapter_config.json`);
    expect(names).toContain(`${job.id}-adapter/adapter_model.safetensors`);
    const modelDir = join(dir, "base");
    await downloadPrefix(t.storage, builtinModelPrefix(await builtinModelFingerprint()), modelDir);
    const dataFile = join(dir, "train.jsonl");
    await writeFile(dataFile, DATA);
    const before = await score({ modelDir, dataFile, maxSeqLen: 512 });
    const after = await score({
      modelDir,
      dataFile,
      maxSeqLen: 512,
      adapterDir: join(dir, `${job.id}-adapter`),
    });
    expect(after.tokens).toBe(before.tokens);
    expect(after.loss).toBeLessThan(before.loss - 0.1);
  });
});
