// The benchmark's tables: one per task × training mode, a row per method (mean ± sd over seeds) and the
// reference rows (majority class, naive Bayes), as Markdown.
import type { ChoiceEvaluation } from "../../eval/choices.ts";
import { type BaseMethod, METHODS, type Method, type Mode } from "./product-options.ts";
import type { RunRecord } from "./results.ts";

const METHOD_LABELS: Record<BaseMethod, string> = {
  full_budget: "full budget (GradES off)",
  early_stopping: "validation-loss early stopping",
  grades: "GradES (product defaults)",
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
