// OpenAI's checkpoint semantics, tried as a new user would: a 3-epoch job with the default checkpoint_every
// lists a checkpoint for the end of each epoch through the official client's fineTuning.jobs.checkpoints.list.
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningWorker } from "../../worker/index.ts";
import { createTestApp, type TestApp } from "../support/app.ts";
import { chatDataset, uploadDataset } from "./helpers.ts";
import { finished, startTestWorker, waitForJob, withDemoModel } from "./training-support.ts";

let t: TestApp;
let worker: RunningWorker;
let server: ReturnType<typeof serve>;
let client: OpenAI;

beforeAll(async () => {
  t = await createTestApp();
  await withDemoModel(t);
  worker = await startTestWorker(t);
  await new Promise<void>((resolve) => {
    server = serve({ fetch: t.app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  client = new OpenAI({ apiKey: t.apiKey, baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await worker?.stop();
  await new Promise((resolve) => server?.close(resolve));
  await t?.close();
});

describe("checkpoints of a 3-epoch job", () => {
  it("are listed by the openai client, one at the end of each epoch", async () => {
    // 8 examples in batches of 4: 2 steps per epoch, 6 in all, fewer than the default checkpoint_every.
    const trainingFile = await uploadDataset(t, chatDataset(8));
    const created = await client.fineTuning.jobs.create({
      model: "demo-tiny",
      training_file: trainingFile,
      seed: 1,
      method: { type: "supervised", supervised: { hyperparameters: { n_epochs: 3, batch_size: 4 } } },
    });
    const job = await waitForJob(t, created.id, finished);
    expect({ status: job.status, error: job.error }).toEqual({ status: "succeeded", error: null });
    expect(job.grades.total_steps).toBe(6);

    const page = await client.fineTuning.jobs.checkpoints.list(job.id);
    expect(page.data.map((c) => c.step_number)).toEqual([6, 4, 2]);
    for (const c of page.data) {
      expect(c.object).toBe("fine_tuning.job.checkpoint");
      expect(c.fine_tuned_model_checkpoint).toBe(`${job.fine_tuned_model}:ckpt-step-${c.step_number}`);
      expect(Number.isFinite(c.metrics.train_loss)).toBe(true);
    }
  });
});
