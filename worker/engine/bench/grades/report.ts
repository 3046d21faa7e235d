// The benchmark's tables: one per task × training mode, a row per method (mean ± sd over seeds) and the
// reference rows (majority class, naive Bayes), as Markdown.
import type { ChoiceEvaluation } from "../../eval/choices.ts";
import { METHODS, type Method, type Mode } from "./product-options.ts";
import type { RunRecord } from "./results.ts";

export const METHOD_LABELS: Record<Method, string> = {
  full_budget: "full budget (GradES off)",
  early_stopping: "validation-loss early stopping",
  grades: "GradES (product defaults)",
};

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
    "| method | seeds | wall s | speed-up vs full budget | steps / budget | est. training FLOPs | test accuracy | final frozen fraction | stop reasons |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  const mine = runs.filter((r) => r.task === task && r.mode === mode);
  const fullWall = mine.filter((r) => r.method === "full_budget").map((r) => r.wallSeconds);
  const rows = METHODS.flatMap((m) => {
    const rs = mine.filter((r) => r.method === m).sort((a, b) => a.seed - b.seed);
    if (rs.length === 0) return [];
    const wall = rs.map((r) => r.wallSeconds);
    const speedup = fullWall.length > 0 ? `${(meanSd(fullWall).mean / meanSd(wall).mean).toFixed(2)}×` : "–";
    const reasons = [...new Set(rs.map((r) => r.stopReason))].join(", ");
    return [
      `| ${METHOD_LABELS[m]} | ${rs.length} | ${pm(wall, 1)} | ${speedup} | ${pm(
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
        `| majority class | – | – | – | – | – | ${refs.majority.accuracy.toFixed(3)} | – | – |`,
        `| naive Bayes, same training examples | – | – | – | – | – | ${refs.naiveBayes.accuracy.toFixed(3)} | – | – |`,
        `| naive Bayes, whole training split | – | – | – | – | – | ${refs.naiveBayesFullSplit.accuracy.toFixed(3)} | – | – |`,
      ]
    : [];
  return [...head, ...rows, ...refRows, ""].join("\n");
}
