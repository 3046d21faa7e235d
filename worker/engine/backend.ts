// Chooses and starts the TensorFlow.js backend. Order for "auto": CUDA (tfjs-node-gpu), native CPU (tfjs-node),
// wasm (XNNPACK, SIMD), then the pure-JS cpu backend. The native packages are optional peer dependencies
// (their install downloads libtensorflow), so they are imported dynamically and skipped when absent.
import { createRequire } from "node:module";
import { dirname } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { registerGradients } from "./kernels/gradients.ts";
import { unsortedSegmentSumWasmConfig } from "./kernels/unsorted-segment-sum.ts";
import { fastTransposedMatMulConfig } from "./kernels/wasm-matmul.ts";

// tfjs-core alone registers no gradients (the union package @tensorflow/tfjs would); training needs them.
registerGradients();

export type BackendChoice = "auto" | "tensorflow" | "wasm" | "cpu";

const NATIVE_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"] as const;

let wasmPrepared = false;
let active: { choice: BackendChoice; name: Promise<string> } | undefined;

function prepareWasm(): void {
  if (wasmPrepared) return;
  wasmPrepared = true;
  // In Node the wasm binaries are read from the package's dist folder, not fetched from a CDN.
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"));
  setWasmPaths(`${dist}/`);
  if (!tf.getKernel(unsortedSegmentSumWasmConfig.kernelName, "wasm")) {
    tf.registerKernel(unsortedSegmentSumWasmConfig);
  }
  const matMul = fastTransposedMatMulConfig();
  if (matMul) {
    tf.unregisterKernel(matMul.kernelName, "wasm");
    tf.registerKernel(matMul);
  }
}

async function tryNative(): Promise<string | undefined> {
  for (const pkg of NATIVE_PACKAGES) {
    try {
      // A variable specifier keeps TypeScript and bundlers from requiring the optional package.
      const specifier: string = pkg;
      await import(specifier);
      if (await tf.setBackend("tensorflow")) return "tensorflow";
    } catch {
      // Not installed or libtensorflow failed to load: fall through to the next choice.
    }
  }
  return undefined;
}

async function tryWasm(): Promise<string | undefined> {
  try {
    prepareWasm();
    if (await tf.setBackend("wasm")) return "wasm";
  } catch {
    // No WebAssembly support: fall back to cpu.
  }
  return undefined;
}

async function select(choice: BackendChoice): Promise<string> {
  if (choice === "tensorflow") {
    const name = await tryNative();
    if (!name) {
      throw new Error(
        "backend tensorflow: neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node could be loaded; install one of them",
      );
    }
    return name;
  }
  if (choice === "wasm") {
    const name = await tryWasm();
    if (!name) throw new Error("backend wasm: could not initialise @tensorflow/tfjs-backend-wasm");
    return name;
  }
  if (choice === "cpu") {
    await tf.setBackend("cpu");
    return "cpu";
  }
  const name = (await tryNative()) ?? (await tryWasm());
  if (name) return name;
  await tf.setBackend("cpu");
  return "cpu";
}

/**
 * Activates a backend and returns its tfjs name ("tensorflow", "wasm" or "cpu"). Calling it again with the
 * same choice returns the same backend without re-initialising; a different choice switches.
 */
export async function initBackend(choice: BackendChoice = "auto"): Promise<string> {
  if (active && active.choice === choice) {
    const name = await active.name;
    if (tf.getBackend() === name) return name;
  }
  // Silences tfjs' console advice to install tfjs-node (we choose the backend deliberately).
  tf.env().set("PROD", true);
  const name = select(choice);
  active = { choice, name };
  try {
    const resolved = await name;
    await tf.ready();
    return resolved;
  } catch (err) {
    active = undefined;
    throw err;
  }
}

/** Whether the wasm backend runs with SIMD and threads (for logs and benchmarks). */
export function wasmFeatures(): { simd: boolean; threads: boolean } {
  return {
    simd: tf.env().getBool("WASM_HAS_SIMD_SUPPORT"),
    threads: tf.env().getBool("WASM_HAS_MULTITHREAD_SUPPORT"),
  };
}
