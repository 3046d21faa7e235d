// Fixed-seed train / validation / test splits by group: the same items in the same splits on every run.
import { Rng } from "../../../train/rng.ts";
import type { ClassificationTask, LabeledText, TaskExample, TaskSplits } from "./types.ts";

export const SPLIT_SEED = 20251;
export const SPLIT_FRACTIONS = { test: 0.2, validation: 0.1 } as const;

export function splitByGroup(
  items: LabeledText[],
  seed = SPLIT_SEED,
): Record<keyof TaskSplits, LabeledText[]> {
  const groups = [...new Set(items.map((i) => i.group))].sort();
  new Rng(seed).shuffle(groups);
  const nTest = Math.round(groups.length * SPLIT_FRACTIONS.test);
  const nValid = Math.round(groups.length * SPLIT_FRACTIONS.validation);
  const where = new Map<string, keyof TaskSplits>();
  groups.forEach((g, i) => {
    where.set(g, i < nTest ? "test" : i < nTest + nValid ? "validation" : "train");
  });
  const out: Record<keyof TaskSplits, LabeledText[]> = { train: [], validation: [], test: [] };
  for (const item of items) out[where.get(item.group)!].push(item);
  return out;
}

export async function loadSplits(task: ClassificationTask): Promise<TaskSplits> {
  const parts = splitByGroup(await task.load());
  const toExample = (i: LabeledText): TaskExample => ({
    text: i.text,
    prompt: task.prompt(i.text),
    label: task.choices[i.label]!,
  });
  return {
    train: parts.train.map(toExample),
    validation: parts.validation.map(toExample),
    test: parts.test.map(toExample),
  };
}

/** The first n examples of a seeded shuffle (the bench's subsample of a split). */
export function subsample<T>(items: T[], n: number, seed: number): T[] {
  if (n >= items.length) return items;
  return new Rng(seed).shuffle([...items]).slice(0, n);
}
