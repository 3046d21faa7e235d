import { Command } from "commander";
import { registerKeyCommands } from "../db/cli/keys.ts";
import { registerEngineCommands } from "../worker/engine/cli/commands.ts";

const program = new Command("grades").description("GradES fine-tuning: engine, models and service administration");
registerEngineCommands(program);
registerKeyCommands(program);
await program.parseAsync(process.argv);
