import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { XMLValidator } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeBenchPlots } from "../../../../worker/engine/bench/grades/plots.ts";
import {
  meanTrajectory,
  oracleStops,
  taskTable,
  trajectoryTable,
} from "../../../../worker/engine/bench/grades/report.ts";
import type { RunRecord } from "../../../../worker/engine/bench/grades/results.ts";
import { makeTempDir } from "../support/tmp-dir.ts";

const NAMES = [
  "model.layers.0.self_attn.q_proj",
  "model.layers.1.self_attn.q_proj",
  "model.layers.1.mlp.up_proj",
];

function record(method: RunRecord["method"], seed: number, wall: number, accuracy: number): RunRecord {
  const steps = 20;
  return {
    task: "sentiment",
    mode: "lora",
    method,
    seed,
    setup: "s",
    budgetSteps: steps,
    steps: method === "full_budget" ? steps : 10,
    stopReason: method === "full_budget" ? "max_steps" : "all_frozen",
    wallSeconds: wall,
    cpuSeconds: wall / 2,
    evalPasses: 0,
    flops: 1e9,
    testAccuracy: accuracy,
    perClass: {},
    frozenFraction: method === "grades" ? 1 : 0,
    finalTrainLoss: 0.5,
    trainLoss: Array.from({ length: steps }, (_, i) => 1 / (i + 1)),
    validLoss: [],
    history: Array.from({ length: 10 }, (_, i) => ({
      step: i + 1,
      trainLoss: 1,
      frozenFraction: i / 10,
      metrics: Object.fromEntries(NAMES.map((n, k) => [n, (k + 1) / (i + 1)])),
    })),
    grades: {
      enabled: true,
      tau: 0,
      alpha: 0.3,
      metric: "grad_change",
      normalize: "mean",
      relativeTau: 0.05,
      interval: 1,
      maxFrozenRatio: 1,
    },
    components: NAMES.map((name) => ({ name, frozenAtStep: 5, lastMetric: 0.1 })),
  };
}

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir("grades-bench-plots-"));
});
afterAll(async () => {
  await cleanup();
});

describe("benchmark report", () => {
  const runs = [
    record("full_budget", 1, 10, 0.8),
    record("full_budget", 2, 12, 0.82),
    record("grades", 1, 4, 0.79),
    record("grades", 2, 6, 0.81),
  ];

  it("tabulates mean ± sd over seeds and the speed-up against the full budget", () => {
    const table = taskTable("sentiment", "lora", runs, undefined);
    // Full budget 11 s on average, GradES 5 s: 2.20× (CPU: 5.5 / 2.5).
    expect(table).toContain(
      "| GradES (product defaults) | 2 | 5.0 ± 1.4 | 2.5 ± 0.7 | 2.20× / 2.20× | 0.50 ± 0.00 of 20 |",
    );
    expect(table).toContain("| 0.800 ± 0.014 |");
  });

  it("leaves trajectory runs out of the timed table", () => {
    const withTrajectory = [...runs, { ...record("full_budget", 1, 99, 0.5), method: "trajectory" as const }];
    expect(taskTable("sentiment", "lora", withTrajectory, undefined)).toBe(
      taskTable("sentiment", "lora", runs, undefined),
    );
  });

  it("finds where the full budget's mean test accuracy first comes, and stays, within a point of its end", () => {
    const trajectory = (seed: number, accuracies: number[]) => ({
      ...record("full_budget", seed, 10, accuracies.at(-1)!),
      method: "trajectory" as const,
      trajectory: accuracies.map((accuracy, i) => ({ step: (i + 1) * 5, accuracy })),
    });
    // Means: 0.60, 0.795, 0.75, 0.80 (end). At most 0.01 below 0.80: step 10 first, and from step 20 on.
    const tr = [trajectory(1, [0.6, 0.8, 0.74, 0.81]), trajectory(2, [0.6, 0.79, 0.76, 0.79])];
    const points = meanTrajectory(tr);
    expect(points.map((p) => p.step)).toEqual([5, 10, 15, 20]);
    expect(points[1]!.mean).toBeCloseTo(0.795, 12);
    expect(points[1]!.sd).toBeCloseTo(Math.SQRT1_2 * 0.01, 12);
    const oracle = oracleStops(points)!;
    expect(oracle.reaches).toBe(10);
    expect(oracle.stays).toBe(20);
    expect(oracle.final).toBeCloseTo(0.8, 12);
    expect(oracleStops([])).toBeNull();

    const table = trajectoryTable("sentiment", "lora", [...runs, ...tr]);
    expect(table).toContain("| 10 | 0.50 | 0.795 ± 0.007 |");
    expect(table).toContain("first at step 10 (0.50 of the budget), and from step 20 (1.00) on");
    // GradES's own stops, for comparison (grades runs stop at step 10 of 20).
    expect(table).toContain(
      "GradES (product defaults) stopped at 0.50 ± 0.00 of the budget with 0.800 ± 0.014",
    );
    expect(trajectoryTable("sentiment", "lora", runs)).toBe("");
  });

  it("writes the frozen-fraction, G, criterion and loss figures as valid SVG", async () => {
    const paths = await writeBenchPlots(dir, runs);
    expect(paths.map((p) => basename(p)).sort()).toEqual([
      "criterion-layer1-grades-sentiment-lora.svg",
      "frozen-grades-sentiment-lora.svg",
      "g-layer1-grades-sentiment-lora.svg",
      "loss-sentiment-lora.svg",
    ]);
    for (const p of paths) expect(XMLValidator.validate(await readFile(p, "utf8"))).toBe(true);
  });

  it("plots the full budget's test accuracy per seed and where GradES stopped", async () => {
    const trajectory = (seed: number) => ({
      ...record("full_budget", seed, 10, 0.8),
      method: "trajectory" as const,
      trajectory: [5, 10, 15, 20].map((step) => ({ step, accuracy: 0.5 + step / 100 })),
    });
    const paths = await writeBenchPlots(join(dir, "trajectory"), [...runs, trajectory(1), trajectory(2)]);
    const accuracy = paths.find((p) => basename(p) === "accuracy-sentiment-lora.svg");
    expect(accuracy).toBeDefined();
    const svg = await readFile(accuracy!, "utf8");
    expect(XMLValidator.validate(svg)).toBe(true);
    for (const series of ["seed 1", "seed 2", "mean", "GradES (product defaults) stopped"])
      expect(svg).toContain(`>${series}</text>`);
  });
});
