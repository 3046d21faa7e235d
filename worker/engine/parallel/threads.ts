// How many threads the engine computes with: one rule for the default (every core) and the allowed range.
import { availableParallelism } from "node:os";
import { MAX_WASM_THREADS } from "./threaded-wasm.ts";

export { MAX_WASM_THREADS };

/** All cores of this machine, up to the wasm backend's pool size. */
export function defaultThreadCount(): number {
  return Math.max(1, Math.min(availableParallelism(), MAX_WASM_THREADS));
}

/** The thread count to use: `requested` when given (checked), otherwise every core. */
export function resolveThreadCount(requested: number | undefined): number {
  if (requested === undefined) return defaultThreadCount();
  if (!Number.isInteger(requested) || requested < 1 || requested > MAX_WASM_THREADS) {
    throw new RangeError(`threads must be an integer from 1 to ${MAX_WASM_THREADS}, got ${requested}`);
  }
  return requested;
}
