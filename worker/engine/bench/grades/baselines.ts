// The reference rows of the benchmark: the majority class of the training split, and a bag-of-words naive Bayes
// (wink-naive-bayes-text-classifier, multinomial with Laplace smoothing) trained on the same examples.
import { createRequire } from "node:module";
import { type ChoiceEvaluation, tallyPredictions } from "../../eval/choices.ts";
import type { TaskExample } from "./tasks/types.ts";

interface WinkNaiveBayes {
  definePrepTasks(tasks: ((input: string) => string[])[]): number;
  defineConfig(config: { considerOnlyPresence?: boolean; smoothingFactor?: number }): boolean;
  learn(input: string, label: string): boolean;
  consolidate(): boolean;
  predict(input: string): string;
}

const createNaiveBayes = createRequire(import.meta.url)(
  "wink-naive-bayes-text-classifier",
) as () => WinkNaiveBayes;

/** Lower-cased words and numbers: the bag of words. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+(?:'[a-z]+)?/g) ?? [];
}

export function majorityClass(
  train: TaskExample[],
  test: TaskExample[],
  choices: string[],
): ChoiceEvaluation {
  const counts = choices.map((c) => train.filter((e) => e.label === c).length);
  const majority = choices[counts.indexOf(Math.max(...counts))]!;
  return tallyPredictions(
    test.map((e) => e.label),
    test.map(() => majority),
    choices,
  );
}

export function naiveBayes(train: TaskExample[], test: TaskExample[], choices: string[]): ChoiceEvaluation {
  const nb = createNaiveBayes();
  nb.definePrepTasks([words]);
  nb.defineConfig({ considerOnlyPresence: false, smoothingFactor: 1 });
  for (const e of train) nb.learn(e.text, e.label);
  nb.consolidate();
  // wink answers "unknown" for a text with no known word: it then gets the first choice.
  const predictions = test.map((e) => {
    const p = nb.predict(e.text);
    return choices.includes(p) ? p : choices[0]!;
  });
  return tallyPredictions(
    test.map((e) => e.label),
    predictions,
    choices,
  );
}
