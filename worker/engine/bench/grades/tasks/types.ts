// A labelled text-classification task for the GradES benchmark: items, the label words a model predicts, and
// how an item becomes a prompt.

export interface LabeledText {
  text: string;
  /** Index into the task's labels. */
  label: number;
  /** Items of one group (e.g. passages of one document) always land in the same split. */
  group: string;
}

export interface ClassificationTask {
  name: string;
  /** Where the data comes from: package@version and its licence (docs/grades.md repeats it). */
  source: string;
  /** Human names of the classes, in label order. */
  classes: string[];
  /** The completion a model is trained to produce for each class (a leading space: it follows "…:"). */
  choices: string[];
  load(): Promise<LabeledText[]>;
  prompt(text: string): string;
}

/** An item as the model sees it: the prompt, and the gold completion (one of the task's choices). */
export interface TaskExample {
  text: string;
  prompt: string;
  label: string;
}

export interface TaskSplits {
  train: TaskExample[];
  validation: TaskExample[];
  test: TaskExample[];
}
