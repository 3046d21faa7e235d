import { describe, expect, it } from "vitest";
import { benchSpec } from "../../../../worker/engine/bench/grades/product-options.ts";

const files = { modelDir: "m", trainFile: "t.jsonl", validationFile: "v.jsonl", outputDir: "o" };
const run = { mode: "lora" as const, examples: 240, epochs: 10, seed: 1, files };
const checkpoints = { dir: "ck", every: 60 };

describe("benchmark specs", () => {
  it("trains a trajectory exactly as the full budget, with checkpoints", () => {
    const full = benchSpec({ ...run, method: "full_budget", checkpoints });
    const trajectory = benchSpec({ ...run, method: "trajectory", checkpoints });
    expect(full.grades.enabled).toBe(false);
    expect(full.checkpointDir).toBeUndefined();
    expect(trajectory).toEqual({ ...full, checkpointDir: "ck", checkpointEvery: 60 });
  });

  it("applies a variant's options over the defaults, null removing one", () => {
    const spec = benchSpec({
      ...run,
      method: "grades:snr",
      overrides: { metric: "grad_snr", relativeTau: null, smoothing: null, tau: 0.05 },
    });
    const defaults = benchSpec({ ...run, method: "grades" }).grades;
    expect(defaults.relativeTau).toBeDefined();
    const { relativeTau: _, smoothing: __, ...kept } = defaults;
    expect(spec.grades).toEqual({ ...kept, metric: "grad_snr", tau: 0.05 });
    expect("relativeTau" in spec.grades).toBe(false);
  });

  it("takes the service's auto batch size unless given one", () => {
    expect(benchSpec({ ...run, method: "grades" }).batchSize).toBe(2);
    expect(benchSpec({ ...run, method: "grades", batchSize: 8 }).batchSize).toBe(8);
  });

  it("writes no checkpoints for the timed methods", () => {
    for (const method of ["full_budget", "early_stopping", "grades", "grades:x"] as const) {
      const spec = benchSpec({ ...run, method, checkpoints });
      expect(spec.checkpointDir).toBeUndefined();
      expect(spec.checkpointEvery).toBeUndefined();
      expect(spec.epochCheckpoints).toBeUndefined();
    }
  });
});
