// How the CLI reports a failure: a mistake in the user's input (a bad flag, a missing or malformed file or
// folder) is one line on stderr naming the problem; anything else is a bug and keeps its stack.
import { InputError } from "../errors.ts";

/** Node's errors for a path the user gave that cannot be read or written. */
const PATH_ERRORS = new Set(["ENOENT", "EACCES", "EISDIR", "ENOTDIR", "EEXIST", "EPERM"]);

export function isInputError(err: unknown): boolean {
  if (err instanceof InputError) return true;
  const e = err as { code?: unknown } | null;
  if (!e || typeof e !== "object") return false;
  return typeof e.code === "string" && (PATH_ERRORS.has(e.code) || e.code.startsWith("commander."));
}

/** The text to print for a failure: the message alone for input errors, the stack otherwise. */
export function describeError(err: unknown): string {
  const e = err as Error | undefined;
  if (isInputError(err)) return e?.message ?? String(err);
  return e?.stack ?? String(err);
}

/**
 * Runs a command body and reports a failure on stderr with exit code 1. The wasm backend installs handlers
 * that rethrow unhandled rejections (printing its minified source), so errors must not escape the action.
 */
export async function reporting(command: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    process.stderr.write(`grades ${command}: ${describeError(err)}\n`);
    process.exitCode = 1;
  }
}
