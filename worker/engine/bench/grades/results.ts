// The benchmark's results cache: one JSON line per finished run, appended as soon as it ends, so an
// interrupted benchmark resumes where it stopped and only the runs not yet in the file are run.
import { appendFile, mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { ChoiceEvaluation } from "../../eval/choices.ts";
import type { GradesOptions, StopReason, TrainSummary } from "../../train/types.ts";
import type { GradesOverrides, Method, Mode } from "./product-options.ts";

export interface RunKey {
  task: string;
  mode: Mode;
  method: Method;
  seed: number;
  /** What else determines the run: model, data sizes, epochs. Changing it reruns. */
  setup: string;
  /** The GradES options a `grades:<name>` variant changes. */
  overrides?: GradesOverrides;
  /**
   * The GradES options a GradES method ran with (the product's defaults, with a variant's changes): a rerun
   * after the defaults change runs again instead of reusing results of other options.
   */
  grades?: GradesOptions;
}

export interface RunRecord extends RunKey {
  budgetSteps: number;
  steps: number;
  stopReason: StopReason;
  wallSeconds: number;
  /** CPU seconds of the process over the same span. */
  cpuSeconds: number;
  evalPasses: number;
  flops: number;
  testAccuracy: number;
  perClass: ChoiceEvaluation["perClass"];
  frozenFraction: number;
  finalTrainLoss: number | null;
  /** Train loss of every step; validation loss of every evaluation (early stopping). */
  trainLoss: number[];
  validLoss: { step: number; loss: number }[];
  history: TrainSummary["history"];
  /** The GradES options the run trained with. */
  grades: GradesOptions;
  components: TrainSummary["components"];
  /** "trajectory" runs: the test accuracy of each checkpoint, the last point being the run's output. */
  trajectory?: { step: number; accuracy: number }[];
}

export function keyOf(k: RunKey): string {
  // Sorted keys: the same options spelled in another order are the same run.
  const options = (o: object | undefined) => JSON.stringify(o ?? {}, Object.keys(o ?? {}).sort());
  const grades = k.method.startsWith("grades") ? options(k.grades) : "";
  return [k.task, k.mode, k.method, k.seed, k.setup, options(k.overrides), grades].join("|");
}

export async function readResults(path: string): Promise<RunRecord[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  // A line cut by an interruption is skipped: that run is simply done again.
  return text
    .split("\n")
    .filter((l) => l.trim().length > 0)
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as RunRecord];
      } catch {
        return [];
      }
    });
}

export async function appendResult(path: string, record: RunRecord): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await appendFile(path, `${JSON.stringify(record)}\n`);
}
