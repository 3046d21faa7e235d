import type { Command } from "commander";
import { registerEvalCommand } from "./eval-command.ts";
import { registerModelCommands } from "./model-commands.ts";
import { registerPretrainCommand } from "./pretrain-command.ts";
import { registerTrainCommands } from "./train-commands.ts";

/** The engine's commands: init-model, inspect and generate (models); train, score and pretrain (training); eval
 * (accuracy). */
export function registerEngineCommands(program: Command): void {
  registerModelCommands(program);
  registerTrainCommands(program);
  registerPretrainCommand(program);
  registerEvalCommand(program);
}
