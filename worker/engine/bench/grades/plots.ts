// The benchmark's figures, per task × training mode: the frozen fraction against the step of every GradES run
// (the paper's Figure 3), each component's G over the steps in one layer of the first seed's GradES run (its
// Figure 1), and the training-loss curves of the three methods (first seed).
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gCurvesSpec, layerOf } from "../../plot/freeze-map.ts";
import { type PlotSpec, renderSvg, stepAxis } from "../../plot/render.ts";
import { meanTrajectory, methodLabel } from "./report.ts";
import type { RunRecord } from "./results.ts";

/** Steps averaged in the loss curves' rolling mean (one minibatch's loss is noisy). */
const LOSS_WINDOW = 10;

function frozenSpec(runs: RunRecord[], title: string): PlotSpec {
  const values = runs.flatMap((r) =>
    [{ step: 0, frozenFraction: 0 }, ...r.history].map((h) => ({
      step: h.step,
      frozen: h.frozenFraction,
      seed: `seed ${r.seed}`,
    })),
  );
  return {
    title,
    width: 520,
    height: 220,
    data: { values },
    mark: { type: "line", interpolate: "step-after" },
    encoding: {
      x: stepAxis(runs[0]?.budgetSteps ?? 1),
      y: { field: "frozen", type: "quantitative", title: "frozen fraction", scale: { domain: [0, 1] } },
      color: { field: "seed", type: "nominal", title: null },
    },
  } as PlotSpec;
}

function lossCurvesSpec(runs: RunRecord[], title: string): PlotSpec {
  const values = runs.flatMap((r) =>
    r.trainLoss.map((loss, i) => ({ step: i + 1, loss, method: methodLabel(r.method, r.overrides) })),
  );
  return {
    title,
    width: 520,
    height: 240,
    data: { values },
    transform: [
      {
        window: [{ op: "mean", field: "loss", as: "smoothed" }],
        frame: [-(LOSS_WINDOW - 1), 0],
        groupby: ["method"],
        sort: [{ field: "step" }],
      },
    ],
    mark: { type: "line", strokeWidth: 1.4 },
    encoding: {
      x: stepAxis(runs[0]?.budgetSteps ?? 1),
      y: {
        field: "smoothed",
        type: "quantitative",
        title: `training loss (mean of ${LOSS_WINDOW} steps)`,
        scale: { zero: false },
      },
      color: { field: "method", type: "nominal", title: null },
    },
  } as PlotSpec;
}

/**
 * The test accuracy of the full budget's checkpoints against the step (one thin line per seed, the mean
 * thick), with a point where each GradES run stopped at the accuracy it kept: how early any stop could be.
 */
function trajectorySpec(trajectories: RunRecord[], stops: RunRecord[], title: string): PlotSpec {
  const seeds = trajectories.flatMap((r) =>
    (r.trajectory ?? []).map((p) => ({ step: p.step, accuracy: p.accuracy, series: `seed ${r.seed}` })),
  );
  const mean = meanTrajectory(trajectories).map((p) => ({ step: p.step, accuracy: p.mean, series: "mean" }));
  const stopped = stops.map((r) => ({
    step: r.steps,
    accuracy: r.testAccuracy,
    series: `${methodLabel(r.method, r.overrides)} stopped`,
  }));
  const x = stepAxis(trajectories[0]?.budgetSteps ?? 1);
  const y = { field: "accuracy", type: "quantitative", title: "test accuracy", scale: { zero: false } };
  const color = { field: "series", type: "nominal", title: null };
  return {
    title,
    width: 520,
    height: 240,
    layer: [
      {
        data: { values: [...seeds, ...mean] },
        mark: { type: "line" },
        encoding: {
          x,
          y,
          color,
          strokeWidth: { condition: { test: "datum.series === 'mean'", value: 2.5 }, value: 0.8 },
        },
      },
      {
        data: { values: stopped },
        mark: { type: "point", filled: true, size: 50 },
        encoding: { x, y, color },
      },
    ],
  } as PlotSpec;
}

/** Moving-average factor of the smoothed line in the criterion figure. */
const CRITERION_BETA = 0.9;

/**
 * Why a matrix freezes or not: per component of one layer, its raw G, a moving average of it, and the threshold
 * the run's options test against (tau, or relative_tau × the reference: G at the end of the grace period, or its
 * peak so far).
 */
function criterionSpec(r: RunRecord, layer: number, title: string): PlotSpec {
  const names = r.components.map((c) => c.name).filter((n) => layerOf(n) === layer);
  const grace = Math.floor(r.grades.alpha * r.budgetSteps);
  const values: { step: number; component: string; series: string; value: number }[] = [];
  for (const name of names) {
    const short = name.split(".").at(-1)!;
    let avg: number | undefined;
    let reference: number | undefined;
    for (const h of r.history) {
      const g = h.metrics[name];
      if (g === null || g === undefined || !(g > 0)) continue;
      avg = avg === undefined ? g : CRITERION_BETA * avg + (1 - CRITERION_BETA) * g;
      const tested = r.grades.smoothing === undefined ? g : avg;
      if (r.grades.relativeReference === "peak") reference = Math.max(reference ?? tested, tested);
      else if (reference === undefined && h.step >= grace) reference = tested;
      values.push({ step: h.step, component: short, series: "G", value: g });
      values.push({
        step: h.step,
        component: short,
        series: `moving average (β ${CRITERION_BETA})`,
        value: avg,
      });
      const threshold =
        r.grades.relativeTau !== undefined ? (reference ?? Number.NaN) * r.grades.relativeTau : r.grades.tau;
      if (h.step >= grace && threshold > 0)
        values.push({ step: h.step, component: short, series: "freeze threshold", value: threshold });
    }
  }
  return {
    title,
    data: { values },
    facet: { field: "component", type: "nominal", title: null, sort: null },
    columns: 4,
    spec: {
      width: 220,
      height: 150,
      mark: { type: "line", strokeWidth: 1.2 },
      encoding: {
        x: stepAxis(r.budgetSteps),
        y: { field: "value", type: "quantitative", title: "G", scale: { type: "log" } },
        color: { field: "series", type: "nominal", title: null },
        strokeDash: {
          condition: { test: "datum.series === 'freeze threshold'", value: [4, 3] },
          value: [1, 0],
        },
      },
    },
  } as PlotSpec;
}

/** Writes the figures under `dir` and returns their paths. */
export async function writeBenchPlots(dir: string, runs: RunRecord[]): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  const emit = async (name: string, spec: PlotSpec) => {
    const path = join(dir, name);
    await writeFile(path, await renderSvg(spec));
    written.push(path);
  };
  const groups = [...new Set(runs.map((r) => `${r.task}|${r.mode}`))];
  for (const g of groups) {
    const [task, mode] = g.split("|") as [string, string];
    const mine = runs.filter((r) => r.task === task && r.mode === mode);
    const label = `${task}, ${mode === "lora" ? "LoRA" : "full fine-tuning"}`;
    for (const method of new Set(mine.map((r) => r.method).filter((m) => m.startsWith("grades")))) {
      const grades = mine.filter((r) => r.method === method).sort((a, b) => a.seed - b.seed);
      const first = grades[0]!;
      const tag = method.replace(":", "-");
      const title = `${methodLabel(method, first.overrides)}, ${label}`;
      await emit(
        `frozen-${tag}-${task}-${mode}.svg`,
        frozenSpec(grades, `frozen fraction per step: ${title}`),
      );
      const layers = [
        ...new Set(first.components.map((c) => layerOf(c.name)).filter((l) => l !== undefined)),
      ];
      const layer = layers[Math.floor(layers.length / 2)] ?? 0;
      await emit(
        `g-layer${layer}-${tag}-${task}-${mode}.svg`,
        gCurvesSpec(
          {
            history: first.history,
            components: first.components,
            stepsCompleted: first.steps,
            totalSteps: first.budgetSteps,
          },
          { layer, title: `G of layer ${layer}, seed ${first.seed}: ${title}` },
        ),
      );
      if (first.grades)
        await emit(
          `criterion-layer${layer}-${tag}-${task}-${mode}.svg`,
          criterionSpec(
            first,
            layer,
            `G against its freeze threshold, layer ${layer}, seed ${first.seed}: ${title}`,
          ),
        );
    }
    const trajectories = mine.filter((r) => r.trajectory && r.trajectory.length > 0);
    if (trajectories.length > 0)
      await emit(
        `accuracy-${task}-${mode}.svg`,
        trajectorySpec(
          trajectories,
          mine.filter((r) => r.method.startsWith("grades")),
          `test accuracy along the full budget, and GradES's stops: ${label}`,
        ),
      );
    const seed = Math.min(...mine.map((r) => r.seed));
    // A trajectory trains as the full budget does: its loss curve would be the full budget's again.
    const firstSeed = mine.filter((r) => r.seed === seed && r.method !== "trajectory");
    if (firstSeed.length > 0)
      await emit(
        `loss-${task}-${mode}.svg`,
        lossCurvesSpec(firstSeed, `training loss, seed ${seed}, ${label}`),
      );
  }
  return written;
}
