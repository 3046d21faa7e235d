import { XMLParser } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emptyProgress } from "../../../db/queue/progress.ts";
import { claim, DEFAULT_QUEUE_OPTIONS, updateProgress } from "../../../db/queue/queue.ts";
import { chatDataset, postJson, registerFakeBaseModel, uploadDataset } from "../../e2e/helpers.ts";
import { createTestApp, type TestApp } from "../../support/app.ts";

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

/** The components named by the lines of the SVG's G chart (one path per series, labelled by vega). */
function seriesOf(svg: string): string[] {
  const labels: string[] = [];
  const walk = (node: unknown, inG: boolean) => {
    if (Array.isArray(node)) for (const n of node) walk(n, inG);
    else if (node && typeof node === "object") {
      const attrs = ((node as Record<string, unknown>)[":@"] ?? {}) as Record<string, string>;
      for (const [tag, child] of Object.entries(node)) {
        if (tag === ":@") continue;
        const here = inG || (tag === "g" && (attrs.class ?? "").includes("g_series_marks"));
        if (tag === "path" && inG)
          labels.push(/component: ([^;]+)/.exec(attrs["aria-label"] ?? "")?.[1] ?? "?");
        walk(child, here);
      }
    }
  };
  walk(
    new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", preserveOrder: true }).parse(svg, true),
    false,
  );
  return labels;
}

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
    expect(seriesOf(await res.text()).sort()).toEqual([...NAMES].sort());
  });

  it("answers 404 with the error body for an unknown job", async () => {
    const res = await t.request("/v1/fine_tuning/jobs/ftjob-nope/grades/plot");
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("ftjob-nope");
  });
});
