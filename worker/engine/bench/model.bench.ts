// Model benchmark: a LoRA forward+backward step of the qwen3-tiny demo model (151,669-token vocabulary) with
// the loss computed from full logits (logSoftmax + one-hot) against the chunked loss of model/lm-loss.ts,
// and greedy generation speed. Interleaved rounds, medians. Usage: npm run bench:model [-- --backend wasm]
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs-core";
import { type BackendChoice, initBackend } from "../backend.ts";
import { generateIds } from "../model/generate.ts";
import { initTinyModel } from "../model/init.ts";
import { summedNextTokenLoss } from "../model/lm-loss.ts";
import { loadModel } from "../model/loader.ts";
import { PROJECTIONS } from "../model/types.ts";

const { values: args } = parseArgs({
  options: {
    backend: { type: "string", default: "wasm" },
    rounds: { type: "string", default: "5" },
    batch: { type: "string", default: "4" },
    seq: { type: "string", default: "128" },
  },
});
const B = Number(args.batch);
const T = Number(args.seq);
const rounds = Number(args.rounds);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The wasm BatchMatMul with a transposed operand: the stock kernel against the engine's wrapper. */
function benchTransposedMatMul(): void {
  const wrapped = tf.getKernel("BatchMatMul", "wasm")!;
  const stock = { ...wrapped, kernelFunc: (wrapped.kernelFunc as { stock?: tf.KernelFunc }).stock };
  if (!stock.kernelFunc) return;
  const use = (config: tf.KernelConfig) => {
    tf.unregisterKernel("BatchMatMul", "wasm");
    tf.registerKernel(config);
  };
  const x = tf.randomNormal([1024, 512]);
  const w = tf.randomNormal([512, 512]);
  const times: Record<string, number[]> = { stock: [], wrapper: [] };
  for (let r = 0; r < rounds + 1; r++) {
    for (const [name, config] of [
      ["stock", stock as tf.KernelConfig],
      ["wrapper", wrapped],
    ] as const) {
      use(config);
      const t0 = performance.now();
      // x W^T and its two gradient products (dy W, dy^T x), as in a linear layer's step.
      tf.tidy(() => {
        tf.matMul(x, w, false, true).dataSync();
        tf.matMul(x, w, false, false).dataSync();
        tf.matMul(x, x, true, false).dataSync();
      });
      if (r > 0) times[name]!.push(performance.now() - t0);
    }
  }
  use(wrapped);
  tf.dispose([x, w]);
  console.log(
    `wasm matmul [1024,512]x[512,512]^T + [1024,512]x[512,512] + [1024,512]^Tx[1024,512]: stock kernel ${median(times.stock!).toFixed(0)} ms, engine wrapper ${median(times.wrapper!).toFixed(0)} ms`,
  );
}

const backend = await initBackend(args.backend as BackendChoice);
const dir = await mkdtemp(join(tmpdir(), "grades-model-bench-"));
try {
  const cfg = await initTinyModel(dir, { preset: "qwen3-tiny", seed: 0, withTokenizer: false });
  const model = await loadModel(dir);
  model.applyLora({
    r: 8,
    alpha: 16,
    dropout: 0,
    targetModules: [...PROJECTIONS],
    useRslora: false,
    seed: 0,
  });
  const vars = model.components().flatMap((c) => c.variables);
  const idsRows = Array.from({ length: B }, (_, b) =>
    Array.from({ length: T }, (_, t) => (b * 7919 + t * 104729) % cfg.vocab_size),
  );
  const ids = tf.tensor2d(idsRows, undefined, "int32");
  const labels = idsRows;

  const plain = () =>
    tf.tidy(() => {
      const logits = model.forward(ids, undefined, { training: true }); // [B, T, V]
      const logp = tf.logSoftmax(tf.slice(logits, [0, 0, 0], [B, T - 1, -1])); // [B, T-1, V]
      const targets = tf.tensor2d(
        labels.map((r) => r.slice(1)),
        undefined,
        "int32",
      );
      return tf.neg(tf.sum(tf.mul(logp, tf.oneHot(targets, cfg.vocab_size)))) as tf.Scalar;
    });
  const chunked = () => summedNextTokenLoss(model, ids, undefined, labels, { training: true });

  const timeStep = (loss: () => tf.Scalar) => {
    const t0 = performance.now();
    const { value, grads } = tf.variableGrads(loss, vars);
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
    return performance.now() - t0;
  };
  // Full logits hold several [B*T, V] float32 tensors on the tape (310 MB each at 512 tokens): beyond 256
  // tokens the plain route exhausts the wasm heap, so it is only measured on small batches.
  const routes: Record<string, () => tf.Scalar> = B * T <= 256 ? { plain, chunked } : { chunked };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(routes).map((k) => [k, []]));
  for (const f of Object.values(routes)) timeStep(f);
  for (let r = 0; r < rounds; r++) {
    for (const [name, f] of Object.entries(routes)) times[name]!.push(timeStep(f));
  }
  const tokens = B * T;
  console.log(
    `backend ${backend}; qwen3-tiny (hidden 64, 2 layers, vocab ${cfg.vocab_size}); LoRA r=8 on 7 projections; batch ${B} x ${T} tokens`,
  );
  for (const [name, xs] of Object.entries(times)) {
    const ms = median(xs);
    console.log(
      `${name.padEnd(8)} loss: step ${ms.toFixed(0)} ms, ${((tokens / ms) * 1000).toFixed(0)} tokens/s`,
    );
  }
  const t0 = performance.now();
  const n = generateIds(model, [9707, 1879], { maxNewTokens: 16, temperature: 0 }).length;
  console.log(
    `generate: ${((performance.now() - t0) / n).toFixed(0)} ms/token (KV cache, ${n} tokens after a 2-token prompt)`,
  );
  ids.dispose();
  model.dispose();
  if (backend === "wasm") benchTransposedMatMul();
} finally {
  await rm(dir, { recursive: true, force: true });
}
