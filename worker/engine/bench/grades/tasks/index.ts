import { brownTask } from "./brown.ts";
import { sentimentTask } from "./sentiment.ts";
import { spamTask } from "./spam.ts";
import type { ClassificationTask } from "./types.ts";

/** The benchmark's tasks, by name. */
export const TASKS: Record<string, ClassificationTask> = {
  sentiment: sentimentTask,
  spam: spamTask,
  brown: brownTask,
};
