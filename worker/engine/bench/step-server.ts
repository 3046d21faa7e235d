// One training configuration of the bench model in a process of its own, driven over stdin/stdout by
// side-by-side.ts: the wasm backend's thread count is fixed per process, so comparing thread counts (and
// PyTorch) in one run means one process per configuration, each stepping only when told to.
// Protocol, one JSON object per line: prints {"ready": ...}, then answers every {"steps": k} with the k steps'
// wall seconds and the wasm heap's size (it never shrinks, so it is the peak so far).
// Usage: tsx worker/engine/bench/step-server.ts --threads 2 --type lora [--parallel replicas|threaded]
//   [--matmul openblas|xnnpack]
// (several threads as data-parallel replicas of one thread each, as train() runs them, or as one backend on the
// threaded wasm build).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { backendLabel, initBackend, WASM_MATMULS, type WasmMatMul } from "../backend.ts";
import { wasmHeapBytes } from "../memory/measure.ts";
import { initTinyModel } from "../model/init.ts";
import { loadModel } from "../model/loader.ts";
import { Trainer } from "../train/trainer.ts";
import { benchSpec, MODEL, randomData } from "./bench-model.ts";

const { values: args } = parseArgs({
  options: {
    threads: { type: "string", default: "1" },
    type: { type: "string", default: "lora" },
    parallel: { type: "string", default: "replicas" },
    matmul: { type: "string" },
  },
});
const matMul = args.matmul as WasmMatMul | undefined;
if (matMul !== undefined && !WASM_MATMULS.includes(matMul))
  throw new Error(`--matmul must be one of ${WASM_MATMULS.join(", ")}`);

const threads = Number(args.threads);
const replicas = args.parallel === "replicas" && threads > 1 ? threads : 1;
const backend = await initBackend("wasm", {
  threads: replicas > 1 ? 1 : threads,
  ...(matMul ? { matMul } : {}),
});
const dir = await mkdtemp(join(tmpdir(), "grades-bench-steps-"));
try {
  await initTinyModel(dir, { preset: "qwen3-tiny", seed: 1, overrides: MODEL, withTokenizer: false });
  const model = await loadModel(dir);
  const type = args.type === "full" ? "full" : "lora";
  const trainer = new Trainer({
    spec: benchSpec(dir, false, type),
    model,
    train: randomData(64),
    padId: 0,
    backend,
    ...(replicas > 1 ? { replicas: { count: replicas - 1, threads: 1, minSeconds: 0 } } : {}),
  });
  const say = (m: unknown) => process.stdout.write(`${JSON.stringify(m)}\n`);
  say({ ready: true, backend: `${backendLabel()}${replicas > 1 ? ` x ${replicas} replicas` : ""}` });
  for await (const line of createInterface({ input: process.stdin })) {
    const { steps } = JSON.parse(line) as { steps: number };
    const seconds: number[] = [];
    let tokens = 0;
    for (let i = 0; i < steps; i++) {
      const r = await trainer.trainStep();
      seconds.push(r.seconds);
      tokens = r.tokens;
    }
    say({ seconds, tokens, wasmHeapBytes: wasmHeapBytes(), rssBytes: process.memoryUsage().rss });
  }
  trainer.dispose();
  model.dispose();
} finally {
  await rm(dir, { recursive: true, force: true });
}
