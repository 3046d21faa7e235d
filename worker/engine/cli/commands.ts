import type { Command } from "commander";
import { registerModelCommands } from "./model-commands.ts";
import { registerTrainCommands } from "./train-commands.ts";

/** The engine's commands: init-model, inspect and generate (models); train and score (training). */
export function registerEngineCommands(program: Command): void {
  registerModelCommands(program);
  registerTrainCommands(program);
}
