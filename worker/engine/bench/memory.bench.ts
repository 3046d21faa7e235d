// Memory benchmark: the estimated peak of one training step (memory/estimate.ts) for the bench model and
// Qwen3-0.6B's shape, LoRA and full, at batch 1 x 512 and 4 x 512; the longest max_seq_len each trains at on
// wasm; the largest Qwen3-0.6B-wide model that trains on wasm; and, to check the estimate, the tensor memory
// real wasm steps allocate (memory/measure.ts) on shapes small enough to run here.
// Usage: npm run bench:memory [-- --large]   (--large also measures a 2-layer model of Qwen3-0.6B's width)
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { hasCompiledKernels, initBackend } from "../backend.ts";
import {
  BACKEND_MEMORY_LIMITS,
  estimateTrainingMemory,
  formatGb,
  type MemoryShape,
  maxSeqLenThatFits,
  neededBytes,
  parameterCount,
} from "../memory/estimate.ts";
import { measureTrainingSteps } from "../memory/measure.ts";
import { type DecoderConfig, parseModelConfig } from "../model/config.ts";
import { initTinyModel } from "../model/init.ts";
import { type ModelConfig, PROJECTIONS } from "../model/types.ts";
import { benchSpec, LORA_R, MODEL, QWEN3_06B } from "./bench-model.ts";

const { values: args } = parseArgs({ options: { large: { type: "boolean", default: false } } });

const configOf = (c: Partial<ModelConfig>) => parseModelConfig({ ...QWEN3_06B, ...c });
const WASM = BACKEND_MEMORY_LIMITS.wasm!;

const shapeOf = (
  config: DecoderConfig,
  type: "lora" | "full",
  batchSize: number,
  seqLen: number,
  compiledKernels: boolean,
): MemoryShape => ({
  config,
  trainingType: type,
  loraR: LORA_R,
  targetModules: PROJECTIONS,
  batchSize,
  seqLen,
  grades: true,
  compiledKernels,
});

/** `compiled`: wasm here runs the compiled element-wise kernels (memory/estimate.ts, compiledKernels). */
function estimates(compiled: boolean): void {
  console.log(
    `estimated peak of one training step (GradES on, LoRA r 8 on all 7 projections; float32; ${compiled ? "compiled" : "composed"} element-wise kernels)`,
  );
  console.log(
    "model        type  batch     weights  state    activations (attention)  loss chunk  total   on wasm (4 GB)  longest max_seq_len on wasm at this batch",
  );
  for (const [name, c] of [
    ["bench", MODEL],
    ["qwen3-0.6b", QWEN3_06B],
  ] as const) {
    const config = configOf(c);
    for (const type of ["lora", "full"] as const) {
      for (const [b, t] of [
        [1, 512],
        [4, 512],
      ] as const) {
        const shape = shapeOf(config, type, b, t, compiled);
        const e = estimateTrainingMemory(shape);
        const fits = neededBytes(e) <= WASM ? "fits" : `no (${formatGb(neededBytes(e), 2)})`;
        const longest = maxSeqLenThatFits(shape, WASM);
        console.log(
          `${name.padEnd(12)} ${type.padEnd(5)} ${`${b} x ${t}`.padEnd(9)} ${formatGb(e.weightsBytes, 2).padStart(7)}  ` +
            `${formatGb(e.trainingStateBytes, 2).padStart(7)}  ${formatGb(e.activationBytes, 2).padStart(8)} ` +
            `(${formatGb(e.attentionBytes, 2)})`.padEnd(17) +
            `${formatGb(e.lossChunkBytes, 2).padStart(8)}  ${formatGb(e.totalBytes, 2).padStart(7)}   ${fits.padEnd(15)} ${longest || "none"}`,
        );
      }
    }
  }
  // The largest model of Qwen3-0.6B's width (and vocabulary) that trains on wasm: how many layers fit.
  for (const type of ["lora", "full"] as const) {
    for (const [b, t] of [
      [1, 128],
      [1, 512],
    ] as const) {
      let layers = 0;
      while (
        neededBytes(
          estimateTrainingMemory(
            shapeOf(configOf({ ...QWEN3_06B, num_hidden_layers: layers + 1 }), type, b, t, compiled),
          ),
        ) <= WASM
      )
        layers++;
      const params = layers > 0 ? parameterCount(configOf({ ...QWEN3_06B, num_hidden_layers: layers })) : 0;
      console.log(
        `largest Qwen3-0.6B-wide model on wasm, ${type}, ${b} x ${t}: ${layers} of 28 layers (${(params / 1e6).toFixed(0)} M parameters)`,
      );
    }
  }
}

async function measured(
  model: Partial<ModelConfig>,
  type: "lora" | "full",
  batch: number,
  seq: number,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "grades-bench-memory-"));
  try {
    await initTinyModel(dir, { preset: "qwen3-tiny", seed: 1, overrides: model, withTokenizer: false });
    const spec = { ...benchSpec(dir, true, type), batchSize: batch, maxSeqLen: seq };
    const m = await measureTrainingSteps(spec);
    const e = estimateTrainingMemory(shapeOf(m.config, type, batch, seq, hasCompiledKernels()));
    const measuredTotal = m.stepPeakBytes + 4 * parameterCount(m.config);
    console.log(
      `${`h ${m.config.hidden_size}, ${m.config.num_hidden_layers} layers, vocab ${m.config.vocab_size}`.padEnd(32)} ` +
        `${type.padEnd(5)} ${`${batch} x ${seq}`.padEnd(9)} measured ${formatGb(measuredTotal, 2)}  ` +
        `estimated ${formatGb(e.totalBytes, 2)}  estimate / measured ${(e.totalBytes / measuredTotal).toFixed(2)}`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await initBackend("wasm", { threads: 1 });
estimates(hasCompiledKernels());
console.log(
  "\nmeasured peak of live tensor memory in real wasm steps (weights + the step's allocations) against the estimate",
);
for (const [type, b, t] of [
  ["lora", 4, 128],
  ["full", 4, 128],
  ["lora", 1, 512],
  ["full", 1, 512],
  ["lora", 4, 256],
] as const) {
  await measured(MODEL, type, b, t);
}
if (args.large) {
  await measured({ ...QWEN3_06B, num_hidden_layers: 2 }, "lora", 1, 128);
  await measured({ ...QWEN3_06B, num_hidden_layers: 2 }, "full", 1, 128);
}
