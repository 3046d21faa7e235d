// The --backend option every engine command shares. GRADES_BACKEND supplies it when the flag is absent (the
// same variable the service reads), and commander checks that value against the choices as it checks the flag.
import { Option } from "commander";
import type { BackendName } from "../train/types.ts";

export const BACKENDS: readonly BackendName[] = ["auto", "tensorflow", "wasm", "cpu"];

export function backendOption(): Option {
  return new Option("--backend <name>", "compute backend")
    .choices(BACKENDS)
    .env("GRADES_BACKEND")
    .default("auto");
}
