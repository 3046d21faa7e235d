import { Command } from "commander";
import { describeError, registerEngineCommands } from "../worker/engine/index.ts";
import { registerKeyCommands } from "./keys.ts";

const program = new Command("grades").description(
  "GradES fine-tuning: engine, models and service administration",
);
registerEngineCommands(program);
registerKeyCommands(program);
// A failure no command reported itself ends here: one line for bad input, a stack for a bug. Catching it also
// keeps it from becoming an unhandled rejection, which the wasm backend rethrows with its minified source.
try {
  await program.parseAsync(process.argv);
} catch (err) {
  const command = program.args[0] ?? process.argv[2];
  process.stderr.write(`grades${command ? ` ${command}` : ""}: ${describeError(err)}\n`);
  process.exitCode = 1;
}
