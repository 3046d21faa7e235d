import { Command } from "commander";
import { vi } from "vitest";

/** Runs CLI commands in-process (as `registerCommands` adds them) and returns what they wrote to stdout and stderr. */
export async function runCli(
  registerCommands: (program: Command) => void,
  args: string[],
): Promise<{ stdout: string; stderr: string }> {
  const program = new Command("grades").exitOverride();
  program.configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerCommands(program);
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((s) => {
    stdout += String(s);
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation((s) => {
    stderr += String(s);
    return true;
  });
  try {
    await program.parseAsync(["node", "grades", ...args]);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return { stdout, stderr };
}
