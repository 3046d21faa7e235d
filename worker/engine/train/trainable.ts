// What a spec trains in a model, and the names its variables go by: the trainer and every data-parallel
// replica make a model trainable with this one function, so they list the same variables in the same order.
import type * as tf from "@tensorflow/tfjs-core";
import type { CausalLM, Component } from "../model/types.ts";
import type { TrainSpec } from "./types.ts";

export interface Trainable {
  /** The tracked projections GradES measures and freezes. */
  components: Component[];
  /** Each component's variables' keys (HF tensor names), in the order of its variables. */
  keys: Map<string, string[]>;
  /**
   * Full fine-tuning: the weights outside the tracked projections (embeddings, norms, lm_head, biases), trained
   * as Hugging Face's Trainer trains every parameter. GradES neither measures nor freezes them.
   */
  untracked: { name: string; variable: tf.Variable }[];
}

/** A variable's key in checkpoints and optimizer state: its HF tensor name. */
function variableKeys(c: Component, lora: boolean): string[] {
  return lora ? [`${c.name}.lora_A.weight`, `${c.name}.lora_B.weight`] : [`${c.name}.weight`];
}

/** Adds LoRA adapters (seeded) or turns on full fine-tuning, and lists what now trains. */
export function makeTrainable(
  model: CausalLM,
  spec: Pick<TrainSpec, "trainingType" | "lora" | "seed">,
): Trainable {
  const lora = spec.trainingType === "lora";
  if (lora) model.applyLora({ ...spec.lora, seed: spec.seed });
  else model.enableFullFineTuning(spec.lora.targetModules);
  const components = model.components();
  if (components.length === 0) throw new Error("the model has no trainable components");
  return {
    components,
    keys: new Map(components.map((c) => [c.name, variableKeys(c, lora)])),
    untracked: lora ? [] : [...model.untrackedWeights()].map(([name, variable]) => ({ name, variable })),
  };
}

/** Every trainable variable with its key, in one fixed order: the components', then the untracked weights. */
export function trainableVariables(t: Trainable): { key: string; variable: tf.Variable }[] {
  return [
    ...t.components.flatMap((c) =>
      c.variables.map((variable, i) => ({ key: t.keys.get(c.name)![i]!, variable })),
    ),
    ...t.untracked.map((u) => ({ key: u.name, variable: u.variable })),
  ];
}
