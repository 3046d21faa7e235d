// Chooses and starts the TensorFlow.js backend. Order for "auto": CUDA (tfjs-node-gpu), native CPU (tfjs-node),
// wasm (XNNPACK, SIMD), then the pure-JS cpu backend. The native packages are optional peer dependencies
// (their install downloads libtensorflow), so they are imported dynamically and skipped when absent.
import { createRequire } from "node:module";
import { dirname } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { adamwStepConfigs } from "./kernels/adamw-step.ts";
import { addSharedConfig } from "./kernels/add-shared.ts";
import { ATTENTION, attentionConfigs } from "./kernels/attention.ts";
import { type Blas, loadBlas } from "./kernels/blas.ts";
import { crossEntropyConfig } from "./kernels/cross-entropy.ts";
import { registerGradients } from "./kernels/gradients.ts";
import { l1ChangeConfig } from "./kernels/l1-change.ts";
import { LORA_LINEAR, loraLinearConfigs } from "./kernels/lora-linear.ts";
import { RMS_NORM, rmsNormConfigs } from "./kernels/rms-norm.ts";
import { ROTARY, rotaryConfigs } from "./kernels/rotary.ts";
import { signalRatioConfig } from "./kernels/signal-ratio.ts";
import { sumSquaresCpuConfig, sumSquaresWasmConfig } from "./kernels/sum-squares.ts";
import { SWIGLU, swigluConfigs } from "./kernels/swiglu.ts";
import { unsortedSegmentSumWasmConfig } from "./kernels/unsorted-segment-sum.ts";
import { rowGatherConfig } from "./kernels/wasm-gather.ts";
import { fastTransposedMatMulConfig } from "./kernels/wasm-matmul.ts";
import { sharedCopyKernels } from "./kernels/wasm-shared-copies.ts";
import { registerThreadedWasm, wasmThreadCount } from "./parallel/threaded-wasm.ts";
import { resolveThreadCount } from "./parallel/threads.ts";

// tfjs-core alone registers no gradients (the union package @tensorflow/tfjs would); training needs them.
registerGradients();
// AdamW's update and clipping's sum of squares as one kernel each on the backends whose memory JS reads
// (train/adamw.ts and train/clip.ts use them where present); wasm's are replaced by the compiled ones when the
// wasm backend starts with the binding (prepareWasm).
for (const kernel of [...adamwStepConfigs(), sumSquaresCpuConfig])
  if (!tf.getKernel(kernel.kernelName, kernel.backendName)) tf.registerKernel(kernel);

export type BackendChoice = "auto" | "tensorflow" | "wasm" | "cpu";

/** What computes the wasm backend's matmuls: OpenBLAS where its binding is built (kernels/blas.ts), else XNNPACK. */
export type WasmMatMul = "openblas" | "xnnpack";
export const WASM_MATMULS = ["openblas", "xnnpack"] as const satisfies readonly WasmMatMul[];

const NATIVE_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"] as const;

export interface BackendOptions {
  /**
   * Threads the wasm backend computes with (default: the count wasm already runs with in this thread, else every
   * core). Fixed once wasm has started in a thread: asking for another count then is an error.
   */
  threads?: number;
  /** The wasm backend's matmuls (default: OpenBLAS when its binding loads). Fixed once wasm has started. */
  matMul?: WasmMatMul;
}

/** Thread count the wasm backend was prepared with in this thread; undefined until it is. */
let wasmThreads: number | undefined;
/** Whose matmuls the wasm backend was prepared with in this thread. */
let wasmMatMul: WasmMatMul | undefined;
let active: { choice: BackendChoice; name: Promise<string> } | undefined;

/**
 * A wasm module keeps its thread pool (and its registered matmul kernel) for its life: asking for another count or
 * other matmuls later is a mistake, said so.
 */
function checkWasmStarted(threads: number, matMul: WasmMatMul | undefined): void {
  if (wasmThreads !== undefined && wasmThreads !== threads) {
    throw new Error(
      `backend wasm: already started with ${wasmThreads} thread(s) in this thread; it cannot switch to ${threads}`,
    );
  }
  if (wasmMatMul !== undefined && matMul !== undefined && matMul !== wasmMatMul) {
    throw new Error(
      `backend wasm: already started with ${wasmMatMul} matmuls in this thread; it cannot switch to ${matMul}`,
    );
  }
}

/** OpenBLAS when asked for or by default; asking for it where its binding does not load is an error. */
function chooseBlas(asked: WasmMatMul | undefined): Blas | undefined {
  if (asked === "xnnpack") return undefined;
  const { blas, reason } = loadBlas();
  if (!blas && asked === "openblas")
    throw new Error(`backend wasm: matmuls on OpenBLAS were asked for, but ${reason}`);
  return blas;
}

/** The element-wise kernels the binding carries compiled, for wasm (they replace the JS AdamW loop). */
function compiledKernels(blas: Blas): tf.KernelConfig[] {
  return [
    ...adamwStepConfigs(blas).filter((k) => k.backendName === "wasm"),
    ...swigluConfigs(blas),
    ...rmsNormConfigs(blas),
    ...rotaryConfigs(blas),
    ...loraLinearConfigs(blas),
    ...attentionConfigs(blas),
    crossEntropyConfig(blas),
  ];
}

function prepareWasm(threads: number, matMul: WasmMatMul | undefined): void {
  // Started already (initBackend checked that the choices agree).
  if (wasmThreads !== undefined) return;
  const blas = chooseBlas(matMul);
  wasmThreads = threads;
  wasmMatMul = blas ? "openblas" : "xnnpack";
  // Process-wide; every thread of a run asks for the same count (parallel/threads.ts, threadPlan).
  blas?.setThreads(threads);
  // One thread: the stock single-threaded SIMD build. More: the pthreads build (parallel/threaded-wasm.ts).
  if (threads > 1) registerThreadedWasm(threads);
  // In Node the wasm binaries are read from the package's dist folder, not fetched from a CDN.
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"));
  setWasmPaths(`${dist}/`);
  if (!tf.getKernel(unsortedSegmentSumWasmConfig.kernelName, "wasm")) {
    tf.registerKernel(unsortedSegmentSumWasmConfig);
  }
  const replaced = [
    fastTransposedMatMulConfig(blas),
    rowGatherConfig(),
    l1ChangeConfig(blas),
    signalRatioConfig(blas),
    sumSquaresWasmConfig(blas),
    addSharedConfig(blas),
    ...sharedCopyKernels(),
    ...(blas ? compiledKernels(blas) : []),
  ];
  for (const kernel of replaced) {
    if (!kernel) continue;
    if (tf.getKernel(kernel.kernelName, "wasm")) tf.unregisterKernel(kernel.kernelName, "wasm");
    tf.registerKernel(kernel);
  }
}

/**
 * Whether the active backend runs RMSNorm, SwiGLU, rotary embeddings, LoRA's projections and attention's core as
 * compiled kernels (wasm with the binding).
 */
export function hasCompiledKernels(): boolean {
  const name = tf.getBackend();
  return [RMS_NORM, SWIGLU, ROTARY, LORA_LINEAR, ATTENTION].every((k) => tf.getKernel(k, name) !== undefined);
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

async function tryWasm(threads: number, matMul: WasmMatMul | undefined): Promise<string | undefined> {
  // Outside the try: a matmul choice that cannot be met is the caller's to hear, not a reason to fall back.
  prepareWasm(threads, matMul);
  try {
    if (await tf.setBackend("wasm")) return "wasm";
  } catch {
    // No WebAssembly support: fall back to cpu.
  }
  return undefined;
}

async function select(
  choice: BackendChoice,
  threads: number,
  matMul: WasmMatMul | undefined,
): Promise<string> {
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
    const name = await tryWasm(threads, matMul);
    if (!name) throw new Error("backend wasm: could not initialise @tensorflow/tfjs-backend-wasm");
    return name;
  }
  if (choice === "cpu") {
    await tf.setBackend("cpu");
    return "cpu";
  }
  const name = (await tryNative()) ?? (await tryWasm(threads, matMul));
  if (name) return name;
  await tf.setBackend("cpu");
  return "cpu";
}

/**
 * Activates a backend and returns its tfjs name ("tensorflow", "wasm" or "cpu"). Calling it again with the
 * same choice returns the same backend without re-initialising; a different choice switches.
 */
export async function initBackend(
  choice: BackendChoice = "auto",
  options: BackendOptions = {},
): Promise<string> {
  // No count given: the one wasm already runs with in this thread, else every core.
  const threads =
    options.threads === undefined && wasmThreads !== undefined
      ? wasmThreads
      : resolveThreadCount(options.threads);
  if (choice === "wasm" || choice === "auto") checkWasmStarted(threads, options.matMul);
  if (active && active.choice === choice) {
    const name = await active.name;
    if (tf.getBackend() === name) return name;
  }
  // Silences tfjs' console advice to install tfjs-node (we choose the backend deliberately).
  tf.env().set("PROD", true);
  const name = select(choice, threads, options.matMul);
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

/** The thread count wasm was started with in this thread; undefined before it is. */
export function wasmStartedThreads(): number | undefined {
  return wasmThreads;
}

/** Whose matmuls wasm was started with in this thread; undefined before it is. */
export function wasmStartedMatMul(): WasmMatMul | undefined {
  return wasmMatMul;
}

/** Whether the wasm backend runs with SIMD, on how many threads, and whose matmuls (for logs and benchmarks). */
export function wasmFeatures(): { simd: boolean; threads: number; matMul: WasmMatMul } {
  return {
    simd: tf.env().getBool("WASM_HAS_SIMD_SUPPORT"),
    threads: wasmThreadCount(),
    matMul: wasmMatMul ?? "xnnpack",
  };
}

/** The active backend as reported on jobs and in logs, e.g. "wasm (simd, 2 threads, OpenBLAS matmuls)". */
export function backendLabel(name: string = tf.getBackend()): string {
  if (name !== "wasm") return name;
  const { simd, threads, matMul } = wasmFeatures();
  const blas = matMul === "openblas" ? ", OpenBLAS matmuls" : "";
  return `wasm (${simd ? "simd, " : ""}${threads} thread${threads === 1 ? "" : "s"}${blas})`;
}
