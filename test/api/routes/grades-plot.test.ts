import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emptyProgress } from "../../../db/queue/progress.ts";
import { claim, DEFAULT_QUEUE_OPTIONS, updateProgress } from "../../../db/queue/queue.ts";
import { chatDataset, postJson, registerFakeBaseModel, uploadDataset } from "../../e2e/helpers.ts";
import { createTestApp, type TestApp } from "../../support/app.ts";
import { gSeriesOf } from "../../support/freeze-map-svg.ts";

let t: TestApp;
let trainingFile: string;

beforeAll(async () => {
  t = await createTestApp();
  await registerFakeBaseModel(t, "base-small");
  trainingFile = await uploadDataset(t, chatDataset(12));
});
afterAll(async () => {
  await t?.close();
});

const NAMES = [
  "model.layers.0.self_attn.q_proj",
  "model.layers.0.mlp.down_proj",
  "model.layers.1.self_attn.v_proj",
];

describe("GET /v1/fine_tuning/jobs/{id}/grades/plot", () => {
  it("draws the running job's freeze map as SVG, one G series per matrix", async () => {
    const job = (await (
      await postJson(t, "/v1/fine_tuning/jobs", { model: "base-small", training_file: trainingFile })
    ).json()) as {
      id: string;
    };
    const claimed = await claim(t.db.sql, "w-plot", DEFAULT_QUEUE_OPTIONS);
    expect(claimed?.id).toBe(job.id);
    const progress = emptyProgress();
    progress.steps_completed = 4;
    progress.total_steps = 10;
    progress.components = {
      [NAMES[0]!]: { frozen_at_step: 3, latest_metric: 0.01 },
      [NAMES[1]!]: { frozen_at_step: null, latest_metric: 0.2 },
      [NAMES[2]!]: { frozen_at_step: null, latest_metric: 0.3 },
    };
    progress.history = [1, 2, 3, 4].map((step) => ({
      step,
      train_loss: 2 / step,
      frozen_fraction: step >= 3 ? 1 / 3 : 0,
      metrics: Object.fromEntries(NAMES.map((n, k) => [n, (k + 1) / step])),
    }));
    const stored = { progress, trainedTokens: 100, estimatedFinish: null, backend: "cpu" };
    expect(await updateProgress(t.db.sql, job.id, "w-plot", stored)).toBe(true);

    const res = await t.request(`/v1/fine_tuning/jobs/${job.id}/grades/plot`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/svg+xml; charset=utf-8");
    expect(gSeriesOf(await res.text()).sort()).toEqual([...NAMES].sort());
  });

  it("answers 404 with the error body for an unknown job", async () => {
    const res = await t.request("/v1/fine_tuning/jobs/ftjob-nope/grades/plot");
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("ftjob-nope");
  });
});
