// The benchmark's tables: one per task × training mode, a row per method (mean ± sd over seeds) and the
// reference rows (majority class, naive Bayes), as Markdown.
import type { ChoiceEvaluation } from "../../eval/choices.ts";
import { type BaseMethod, METHODS, type Method, type Mode } from "./product-options.ts";
import type { RunRecord } from "./results.ts";

const METHOD_LABELS: Record<BaseMethod, string> = {
  full_budget: "full budget (GradES off)",
  early_stopping: "validation-loss early stopping",
  grades: "GradES (product defaults)",
  trajectory: "full budget, checkpoints scored",
};

/** A method's row label; a variant shows the options it changes. */
export function methodLabel(method: Method, overrides?: object): string {
  if (method in METHOD_LABELS) return METHOD_LABELS[method as BaseMethod];
  return `GradES ${method.slice("grades:".length)} ${JSON.stringify(overrides ?? {})}`;
}

export function meanSd(xs: number[]): { mean: number; sd: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, sd };
}

const pm = (xs: number[], digits: number, scale = 1) => {
  const { mean, sd } = meanSd(xs.map((x) => x * scale));
  return `${mean.toFixed(digits)} ± ${sd.toFixed(digits)}`;
};

export interface References {
  majority: ChoiceEvaluation;
  naiveBayes: ChoiceEvaluation;
  /** Naive Bayes trained on the whole training split, not only the benchmark's subsample. */
  naiveBayesFullSplit: ChoiceEvaluation;
}

export function taskTable(task: string, mode: Mode, runs: RunRecord[], refs: References | undefined): string {
  const head = [
    `#### ${task}, ${mode === "lora" ? "LoRA" : "full fine-tuning"}`,
    "",
    "| method | seeds | wall s | CPU s | speed-up vs full budget (wall / CPU) | steps / budget | est. training FLOPs | test accuracy | final frozen fraction | stop reasons |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  const mine = runs.filter((r) => r.task === task && r.mode === mode);
  const full = mine.filter((r) => r.method === "full_budget");
  const ratio = (base: number[], xs: number[]) =>
    base.length > 0 ? `${(meanSd(base).mean / meanSd(xs).mean).toFixed(2)}×` : "–";
  const methods = [...METHODS, ...new Set(mine.map((r) => r.method).filter((m) => m.startsWith("grades:")))];
  const rows = methods.flatMap((m) => {
    const rs = mine.filter((r) => r.method === m).sort((a, b) => a.seed - b.seed);
    if (rs.length === 0) return [];
    const wall = rs.map((r) => r.wallSeconds);
    const cpu = rs.map((r) => r.cpuSeconds);
    const speedup = `${ratio(
      full.map((r) => r.wallSeconds),
      wall,
    )} / ${ratio(
      full.map((r) => r.cpuSeconds),
      cpu,
    )}`;
    const reasons = [...new Set(rs.map((r) => r.stopReason))].join(", ");
    return [
      `| ${methodLabel(m, rs[0]!.overrides)} | ${rs.length} | ${pm(wall, 1)} | ${pm(cpu, 1)} | ${speedup} | ${pm(
        rs.map((r) => r.steps / r.budgetSteps),
        2,
      )} of ${rs[0]!.budgetSteps} | ${meanSd(rs.map((r) => r.flops)).mean.toExponential(2)} | ${pm(
        rs.map((r) => r.testAccuracy),
        3,
      )} | ${pm(
        rs.map((r) => r.frozenFraction),
        2,
      )} | ${reasons} |`,
    ];
  });
  const refRows = refs
    ? [
        `| majority class | – | – | – | – | – | – | ${refs.majority.accuracy.toFixed(3)} | – | – |`,
        `| naive Bayes, same training examples | – | – | – | – | – | – | ${refs.naiveBayes.accuracy.toFixed(3)} | – | – |`,
        `| naive Bayes, whole training split | – | – | – | – | – | – | ${refs.naiveBayesFullSplit.accuracy.toFixed(3)} | – | – |`,
      ]
    : [];
  return [...head, ...rows, ...refRows, ""].join("\n");
}

/** One point of the seeds' mean trajectory: the test accuracy of the full budget's checkpoints at `step`. */
export interface TrajectoryPoint {
  step: number;
  mean: number;
  sd: number;
  seeds: number;
}

/** The mean over seeds at every step all of a task × mode's trajectory runs scored. */
export function meanTrajectory(runs: RunRecord[]): TrajectoryPoint[] {
  const withPoints = runs.filter((r) => r.trajectory && r.trajectory.length > 0);
  if (withPoints.length === 0) return [];
  const steps = withPoints[0]!.trajectory!.map((p) => p.step);
  return steps.flatMap((step) => {
    const xs = withPoints.flatMap((r) => r.trajectory!.filter((p) => p.step === step).map((p) => p.accuracy));
    return xs.length === withPoints.length ? [{ step, ...meanSd(xs), seeds: xs.length }] : [];
  });
}

/**
 * Where an oracle could stop: the first step at which the seeds' mean accuracy is no more than `tolerance` below
 * its value at the end of the budget, and the first from which it stays so. null when there is no trajectory.
 */
export function oracleStops(
  points: TrajectoryPoint[],
  tolerance = 0.01,
): { reaches: number; stays: number; final: number } | null {
  if (points.length === 0) return null;
  const final = points.at(-1)!.mean;
  const within = points.map((p) => p.mean >= final - tolerance);
  const reaches = points[within.indexOf(true)]!.step;
  const lastOutside = within.lastIndexOf(false);
  return { reaches, stays: points[lastOutside + 1]!.step, final };
}

/**
 * The accuracy of the full budget's checkpoints (the "trajectory" runs) against the step, and where GradES's
 * runs stopped: the bound any stopping rule has on these runs. Empty when the runs hold no trajectory.
 */
export function trajectoryTable(task: string, mode: Mode, runs: RunRecord[]): string {
  const mine = runs.filter((r) => r.task === task && r.mode === mode);
  const points = meanTrajectory(mine.filter((r) => r.method === "trajectory"));
  const oracle = oracleStops(points);
  if (!oracle) return "";
  const budget = mine.find((r) => r.method === "trajectory")!.budgetSteps;
  const frac = (step: number) => (step / budget).toFixed(2);
  const stops = [...new Set(mine.map((r) => r.method).filter((m) => m.startsWith("grades")))].map((m) => {
    const rs = mine.filter((r) => r.method === m);
    return `${methodLabel(m, rs[0]!.overrides)} stopped at ${pm(
      rs.map((r) => r.steps / r.budgetSteps),
      2,
    )} of the budget with ${pm(
      rs.map((r) => r.testAccuracy),
      3,
    )}`;
  });
  return [
    `#### ${task}, ${mode === "lora" ? "LoRA" : "full fine-tuning"}: test accuracy along the full budget (${points[0]!.seeds} ${points[0]!.seeds === 1 ? "seed" : "seeds"})`,
    "",
    "| step | fraction of the budget | test accuracy |",
    "| --- | --- | --- |",
    ...points.map((p) => `| ${p.step} | ${frac(p.step)} | ${p.mean.toFixed(3)} ± ${p.sd.toFixed(3)} |`),
    "",
    `At most 1 point below the end's ${oracle.final.toFixed(3)} first at step ${oracle.reaches} (${frac(oracle.reaches)} of the ` +
      `budget), and from step ${oracle.stays} (${frac(oracle.stays)}) on.` +
      (stops.length > 0 ? ` ${stops.join("; ")}.` : ""),
    "",
  ].join("\n");
}
