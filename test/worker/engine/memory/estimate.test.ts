// The training-memory estimate: hand-computed counts, agreement with the allocations a real step makes on the
// wasm backend, and the refusal of a job the backend cannot hold.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasCompiledKernels, initBackend } from "../../../../worker/engine/backend.ts";
import { MODEL as BENCH_MODEL, QWEN3_06B } from "../../../../worker/engine/bench/bench-model.ts";
import { TrainSpecError, train } from "../../../../worker/engine/index.ts";
import {
  estimateTrainingMemory,
  type MemoryShape,
  maxSeqLenThatFits,
  neededBytes,
  parameterCount,
} from "../../../../worker/engine/memory/estimate.ts";
import { checkTrainingFits } from "../../../../worker/engine/memory/fit-check.ts";
import { measureTrainingSteps } from "../../../../worker/engine/memory/measure.ts";
import { parseModelConfig } from "../../../../worker/engine/model/config.ts";
import { PROJECTIONS } from "../../../../worker/engine/model/types.ts";
import { baseSpec, makeTinyModel, TINY } from "../train/support/fixtures.ts";

const shapeOf = (config: MemoryShape["config"], over: Partial<MemoryShape> = {}): MemoryShape => ({
  config,
  trainingType: "lora",
  loraR: 8,
  targetModules: PROJECTIONS,
  batchSize: 1,
  seqLen: 512,
  grades: true,
  ...over,
});

describe("training-memory estimate, hand-computed", () => {
  it("counts Qwen3-0.6B's 596,049,920 parameters and its 5,046,272 LoRA r 8 parameters", () => {
    const config = parseModelConfig(QWEN3_06B);
    expect(parameterCount(config)).toBe(596_049_920);
    // Per layer r (in + out): q 8(1024+2048), k and v 8(1024+1024), o 8(2048+1024), gate, up, down 8(1024+3072).
    const perLayer = 24576 + 16384 + 16384 + 24576 + 3 * 32768;
    const e = estimateTrainingMemory(shapeOf(config));
    expect(e.trainableParameters).toBe(28 * perLayer);
    expect(e.weightsBytes).toBe(4 * (596_049_920 + 28 * perLayer));
    // m, v, gradient, GradES's previous gradient (clipping writes no copy).
    expect(e.trainingStateBytes).toBe(4 * 4 * 28 * perLayer);
  });

  it("counts a tiny full fine-tuning step's activations op by op", () => {
    // h 32, I 64, 4 heads and 2 kv heads of 8: q 32, kv 16. Per token and layer: norms and residuals 10h = 320,
    // q and k (1 + 3 + 1 + 4)(q + kv) = 432, v and attention output 2kv + 2q = 96, MLP 5I = 320,
    // attention 4 heads x T 16 x 3 = 192: 1360 floats, twice (saved and gradient), float32.
    const config = parseModelConfig({ ...QWEN3_06B, ...TINY });
    const shape = shapeOf(config, { trainingType: "full", batchSize: 4, seqLen: 16 });
    const e = estimateTrainingMemory(shape);
    expect(e.activationBytes).toBe(2 * 4 * (4 * 16) * 2 * 1360);
    expect(e.attentionBytes).toBe(2 * 4 * (4 * 16) * 2 * 192);
    // Compiled kernels: norms 2(h + 1) + residuals 4h = 194; q and k 2(q + kv) + their norms (q + kv) + 6
    // heads' rsqrt = 150; v and attention output 96; MLP 4I = 256; attention's softmax alone 4 x 16 = 64: 760.
    const compiled = estimateTrainingMemory({ ...shape, compiledKernels: true });
    expect(compiled.activationBytes).toBe(2 * 4 * (4 * 16) * 2 * 760);
    expect(compiled.attentionBytes).toBe(2 * 4 * (4 * 16) * 2 * 64);
  });

  it("finds the longest max_seq_len that fits as the largest whose estimate is under the limit", () => {
    const config = parseModelConfig({ ...QWEN3_06B, ...BENCH_MODEL });
    const shape = shapeOf(config, { batchSize: 4 });
    const limit = 2 ** 30;
    const longest = maxSeqLenThatFits(shape, limit);
    expect(longest % 64).toBe(0);
    expect(neededBytes(estimateTrainingMemory({ ...shape, seqLen: longest }))).toBeLessThanOrEqual(limit);
    expect(neededBytes(estimateTrainingMemory({ ...shape, seqLen: longest + 64 }))).toBeGreaterThan(limit);
  });
});

describe("training-memory estimate against a real step on wasm", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "grades-memory-"));
    await initBackend("wasm", { threads: 1 });
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  for (const [trainingType, batchSize, seqLen] of [
    ["lora", 2, 64],
    ["full", 2, 64],
    ["lora", 1, 128],
  ] as const) {
    it(`is within 15% of the tensor memory a ${trainingType} step at ${batchSize} x ${seqLen} allocates`, async () => {
      const dir = join(root, `${trainingType}-${batchSize}-${seqLen}`);
      await makeTinyModel(dir, {
        vocab_size: 512,
        hidden_size: 128,
        intermediate_size: 384,
        head_dim: 32,
        max_position_embeddings: 256,
      });
      const lora = { ...baseSpec(root).lora, r: 8 };
      const grades = { ...baseSpec(root).grades, enabled: true };
      const spec = baseSpec(root, {
        modelDir: dir,
        trainingType,
        batchSize,
        maxSeqLen: seqLen,
        lora,
        grades,
      });
      const m = await measureTrainingSteps(spec);
      // The weights were allocated before the step; the estimate's other terms are what the step adds.
      expect(m.weightsBytes).toBe(4 * parameterCount(m.config));
      const e = checkTrainingFits(m.config, spec, "wasm", hasCompiledKernels());
      const ratio = (e.totalBytes - m.weightsBytes) / m.stepPeakBytes;
      expect(ratio).toBeGreaterThan(0.85);
      expect(ratio).toBeLessThan(1.15);
    });
  }
});

describe("a job the backend cannot hold", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "grades-too-large-"));
    // Only config.json: the refusal must come before any weight is read.
    await writeFile(join(root, "config.json"), JSON.stringify(QWEN3_06B));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it("fails at once on wasm naming the estimate, the limit and the way out", async () => {
    const spec = baseSpec(root, {
      modelDir: root,
      batchSize: 4,
      maxSeqLen: 512,
      backend: "wasm",
      threads: 1,
    });
    const err = await train(spec).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainSpecError);
    expect((err as TrainSpecError).field).toBe("model");
    expect((err as Error).message).toMatch(
      /batch 4 x 512 tokens\) needs about \d+\.\d GB; the wasm backend holds 4\.0 GB; use a GPU worker/,
    );
  });

  it("names the longest max_seq_len that fits when only the sequence is too long", () => {
    const config = parseModelConfig({ ...QWEN3_06B, ...BENCH_MODEL });
    const spec = baseSpec(root, { batchSize: 4, maxSeqLen: 8192 });
    const longest = maxSeqLenThatFits(
      shapeOf(config, {
        batchSize: 4,
        targetModules: spec.lora.targetModules,
        loraR: spec.lora.r,
        grades: false,
      }),
      4 * 2 ** 30,
    );
    expect(longest).toBeGreaterThan(128);
    expect(() => checkTrainingFits(config, spec, "wasm")).toThrow(
      new RegExp(
        `maxSeqLen: .*needs about .* GB; the wasm backend holds 4.0 GB; use a GPU worker, or max_seq_len ${longest} or less`,
      ),
    );
    // Native backends have no such limit: the same job passes.
    expect(checkTrainingFits(config, spec, "tensorflow").totalBytes).toBeGreaterThan(4 * 2 ** 30);
  });
});
