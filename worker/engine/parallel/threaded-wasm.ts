// The wasm backend on several threads under Node. tfjs-backend-wasm ships a pthreads build (XNNPACK's thread
// pool over emscripten workers) but switches it off when it runs in Node (tensorflow/tfjs#3830), because its own
// loader hands emscripten Blob URLs, which node:worker_threads cannot start. The emscripten output itself
// supports Node, so this module starts it with the hooks emscripten documents: locateFile points at the
// pthread worker script as a file, mainScriptUrlOrBlob at the module's own script, and instantiateWasm lets
// us answer emscripten_num_logical_cores (tfjs caps its pool at half the logical cores, assuming two
// hyper-threads per core, which would give one thread on a 2-core machine). The result is an ordinary
// BackendWasm registered under the name "wasm", so every wasm kernel (and ours) runs on it unchanged.
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import * as tf from "@tensorflow/tfjs-core";

/** XNNPACK's pool is built with 8 pre-started workers (PTHREAD_POOL_SIZE) and tfjs caps its count at 8. */
export const MAX_WASM_THREADS = 8;

const require = createRequire(import.meta.url);
const OUT = dirname(
  require.resolve("@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js"),
);
const MAIN_SCRIPT = join(OUT, "tfjs-backend-wasm-threaded-simd.js");
const BINARY = join(OUT, "tfjs-backend-wasm-threaded-simd.wasm");

interface EmscriptenWorker {
  unref(): void;
}

interface ThreadedModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number;
  PThread: { runningWorkers: EmscriptenWorker[]; unusedWorkers: EmscriptenWorker[] };
  tfjs?: unknown;
}

type Factory = (config: Record<string, unknown>) => Promise<ThreadedModule>;

/**
 * The pthread worker script as a file: the package ships it as a string export (meant for a Blob URL). Written
 * once per package version under the temp folder, by rename so concurrent processes never see half a file.
 */
function pthreadWorkerFile(): string {
  const { version } = require("@tensorflow/tfjs-backend-wasm/package.json") as { version: string };
  const file = join(tmpdir(), `grades-tfjs-backend-wasm-${version}-pthread-worker.cjs`);
  if (existsSync(file)) return file;
  const { wasmWorkerContents } = require(join(OUT, "tfjs-backend-wasm-threaded-simd.worker.js")) as {
    wasmWorkerContents: string;
  };
  // The string holds "\n" escapes inside string literals that the template literal turned into line breaks;
  // tfjs' own loader undoes the same thing before making its Blob.
  const tmp = `${file}.${randomUUID()}`;
  writeFileSync(tmp, wasmWorkerContents.replace(/\n/g, "\\n"));
  renameSync(tmp, file);
  return file;
}

let module: ThreadedModule | undefined;

async function createModule(threads: number): Promise<ThreadedModule> {
  const factory = require(MAIN_SCRIPT) as Factory;
  const workerFile = pthreadWorkerFile();
  const created = await factory({
    locateFile: (path: string, prefix: string) => {
      if (path.endsWith(".worker.js")) return workerFile;
      if (path.endsWith(".wasm")) return BINARY;
      return prefix + path;
    },
    mainScriptUrlOrBlob: MAIN_SCRIPT,
    instantiateWasm: (
      info: { env: Record<string, unknown> },
      receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
    ) => {
      info.env.emscripten_num_logical_cores = () => 2 * threads;
      WebAssembly.instantiate(readFileSync(BINARY), info as WebAssembly.Imports).then((r) =>
        receive(r.instance, r.module),
      );
      return {};
    },
  });
  // The same bridge tfjs' init() builds (backend_wasm.ts); BackendWasm calls these.
  created.tfjs = {
    init: created.cwrap("init", null, []),
    initWithThreadsCount: created.cwrap("init_with_threads_count", null, ["number"]),
    getThreadsCount: created.cwrap("get_threads_count", "number", []),
    registerTensor: created.cwrap("register_tensor", null, ["number", "number", "number"]),
    disposeData: created.cwrap("dispose_data", null, ["number"]),
    dispose: created.cwrap("dispose", null, []),
  };
  return created;
}

/** The pool's workers must not keep the process alive: they wait for work forever. */
function unrefWorkers(m: ThreadedModule): void {
  for (const w of [...m.PThread.runningWorkers, ...m.PThread.unusedWorkers]) w.unref();
}

/**
 * Makes the "wasm" backend the threaded build with `threads` threads. Must run before the wasm backend is first
 * initialised in this thread (a process holds one wasm module per backend name).
 */
export function registerThreadedWasm(threads: number): void {
  if (tf.findBackendFactory("wasm")) tf.removeBackend("wasm");
  tf.registerBackend(
    "wasm",
    async () => {
      // The threaded build is a SIMD build; evaluating the flag also lets wasmFeatures() read it synchronously.
      if (!(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"))) {
        throw new Error("the threaded wasm backend needs WebAssembly SIMD");
      }
      module = await createModule(threads);
      const backend = new BackendWasm(module as unknown as ConstructorParameters<typeof BackendWasm>[0]);
      unrefWorkers(module);
      return backend;
    },
    2,
  );
}

/** Threads the wasm backend computes with (1 for the stock single-threaded build). */
export function wasmThreadCount(): number {
  if (!module?.tfjs) return 1;
  return (module.tfjs as { getThreadsCount(): number }).getThreadsCount();
}
