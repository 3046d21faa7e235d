// The reporter turns engine events into the job's progress: the live freeze map behind /grades.
import pino from "pino";
import { describe, expect, it } from "vitest";
import type { SqlExecutor } from "../../db/client.ts";
import { JobReporter } from "../../worker/reporter.ts";

function reporter(): JobReporter {
  // record() touches no database; flush() would.
  const sql = {} as SqlExecutor;
  return new JobReporter(sql, "ftjob-x", "worker-1", pino({ level: "silent" }), null, null, null);
}

const step = (n: number, metrics?: Record<string, number>) =>
  ({
    type: "step",
    step: n,
    totalSteps: 10,
    epoch: n / 10,
    trainLoss: 2,
    learningRate: 1e-4,
    tokensPerSecond: 100,
    frozenFraction: 0,
    tokens: 32,
    totalComponents: 2,
    ...(metrics ? { metrics } : {}),
  }) as const;

describe("JobReporter", () => {
  it("keeps each component's latest G and its freeze step while the job runs", () => {
    const r = reporter();
    r.record(step(1));
    expect(r.progress.components).toEqual({});
    expect(r.progress.total_components).toBe(2);

    r.record(step(2, { "model.layers.0.self_attn.q_proj": 0.5, "model.layers.0.mlp.up_proj": 0.25 }));
    r.record({ type: "freeze", step: 3, component: "model.layers.0.mlp.up_proj", metric: 0.01 });
    r.record(step(3, { "model.layers.0.self_attn.q_proj": 0.4, "model.layers.0.mlp.up_proj": 0.01 }));

    expect(r.progress.components).toEqual({
      "model.layers.0.self_attn.q_proj": { frozen_at_step: null, latest_metric: 0.4 },
      "model.layers.0.mlp.up_proj": { frozen_at_step: 3, latest_metric: 0.01 },
    });
    expect(r.progress.frozen_components).toBe(1);
    expect(r.progress.history[0]).toMatchObject({ step: 1 });
  });
});
