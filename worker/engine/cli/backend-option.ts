// The --backend option every engine command shares. GRADES_BACKEND supplies it when the flag is absent (the
// same variable the service reads), and commander checks that value against the choices as it checks the flag.
import { InvalidArgumentError, Option } from "commander";
import { resolveThreadCount } from "../parallel/threads.ts";
import type { BackendName } from "../train/types.ts";

export const BACKENDS: readonly BackendName[] = ["auto", "tensorflow", "wasm", "cpu"];

export function backendOption(): Option {
  return new Option("--backend <name>", "compute backend")
    .choices(BACKENDS)
    .env("GRADES_BACKEND")
    .default("auto");
}

/** --threads: the compute threads of a run on wasm (GRADES_THREADS when absent; default every core). */
export function threadsOption(): Option {
  return new Option(
    "--threads <n>",
    "threads to compute with on wasm: data-parallel replicas, as many as a batch has rows (default: every core)",
  )
    .env("GRADES_THREADS")
    .argParser((v) => {
      try {
        return resolveThreadCount(Number(v));
      } catch (err) {
        throw new InvalidArgumentError((err as Error).message);
      }
    });
}
