import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../../worker/engine/backend.ts";
import { loadDataset } from "../../../../worker/engine/data/dataset.ts";
import { ROTARY } from "../../../../worker/engine/kernels/rotary.ts";
import { loadModel } from "../../../../worker/engine/model/loader.ts";
import { frozenPrefixLayers } from "../../../../worker/engine/train/frozen-prefix.ts";
import { Trainer } from "../../../../worker/engine/train/trainer.ts";
import type { TrainSpec } from "../../../../worker/engine/train/types.ts";
import { productsRun } from "../support/products.ts";
import { makeTempDir } from "../support/tmp-dir.ts";
import { baseSpec, makeTinyModel, writeCountingData } from "./support/fixtures.ts";

const LAYERS = 3;
/** 10 examples of 10 to 12 tokens, batches of 4: 3 batches an epoch, padded to different lengths. */
const EXAMPLES = 10;
const STEPS_PER_EPOCH = 3;
/**
 * How far a step's loss may move when the frozen layers' output comes back from the cache as bfloat16 (relative
 * error up to 2^-8 per value). Measured on this model: at most 1.1e-3 on losses of 2.7 to 5.4 over four epochs.
 * Another example's states instead of the right ones would move it by tenths.
 */
const BF16_LOSS_TOLERANCE = 5e-3;

let root: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir: root, cleanup } = await makeTempDir("grades-frozen-prefix-"));
  await initBackend("wasm", { threads: 1 });
  await makeTinyModel(join(root, "model"), { num_hidden_layers: LAYERS });
  await writeCountingData(join(root, "train.jsonl"), EXAMPLES, 12);
});

afterAll(async () => {
  await cleanup();
});

/** A trainer whose components of the lowest `frozenLayers` layers are frozen before its first step. */
async function openTrainer(frozenLayers: number, over: Partial<TrainSpec> = {}) {
  const spec = baseSpec(root, { maxSteps: 100, batchSize: 4, ...over });
  const model = await loadModel(spec.modelDir);
  const data = await loadDataset(spec.trainFile, {
    maxSeqLen: spec.maxSeqLen,
    vocabSize: model.config.vocab_size,
  });
  const trainer = new Trainer({ spec, model, train: data, padId: 0, backend: "wasm" });
  for (const c of trainer.components) if (c.layer < frozenLayers) trainer.freezeNow(c.name);
  return {
    model,
    trainer,
    close: () => {
      trainer.dispose();
      model.dispose();
    },
  };
}

async function losses(trainer: Trainer, steps: number, each?: () => void): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    out.push((await trainer.trainStep()).loss);
    each?.();
  }
  return out;
}

describe("the activation cache in training", () => {
  it("trains with the lowest layer frozen as without the cache: the first epoch exactly, later ones within bfloat16 rounding", async () => {
    const steps = 4 * STEPS_PER_EPOCH;
    const plain = await openTrainer(1, { activationCacheMb: 0 });
    const cached = await openTrainer(1);
    expect(plain.trainer.activationCache).toBeUndefined();
    const reference = await losses(plain.trainer, steps);
    const withCache = await losses(cached.trainer, steps);
    // The first epoch computes every example (and stores it); every later one reads all of them back.
    expect(withCache.slice(0, STEPS_PER_EPOCH)).toEqual(reference.slice(0, STEPS_PER_EPOCH));
    for (let i = STEPS_PER_EPOCH; i < steps; i++)
      expect(Math.abs(withCache[i]! - reference[i]!)).toBeLessThan(BF16_LOSS_TOLERANCE);
    expect(withCache.slice(STEPS_PER_EPOCH)).not.toEqual(reference.slice(STEPS_PER_EPOCH));
    expect(cached.trainer.activationCache!.stats).toMatchObject({
      layers: 1,
      entries: EXAMPLES,
      hits: 3 * EXAMPLES,
      misses: EXAMPLES,
      refused: 0,
    });
    plain.close();
    cached.close();
  });

  it("stays under its limit: examples beyond it are recomputed, and training is the same", async () => {
    // 10 examples of 10-12 positions x 32 values x 2 bytes = 640-768 bytes each; the limit holds about five.
    const limitMb = 4000 / 2 ** 20;
    const steps = 3 * STEPS_PER_EPOCH;
    const plain = await openTrainer(2, { activationCacheMb: 0 });
    const bounded = await openTrainer(2, { activationCacheMb: limitMb });
    const cache = bounded.trainer.activationCache!;
    const reference = await losses(plain.trainer, steps);
    const bytes: number[] = [];
    const withCache = await losses(bounded.trainer, steps, () => bytes.push(cache.stats.bytes));
    const limit = Math.floor(limitMb * 2 ** 20);
    expect(cache.stats.limitBytes).toBe(limit);
    expect(Math.max(...bytes)).toBeLessThanOrEqual(limit);
    const { entries, refused, hits, misses } = cache.stats;
    expect(entries).toBeGreaterThan(0);
    expect(refused).toBe(EXAMPLES - entries);
    expect(refused).toBeGreaterThan(0);
    // Stored examples hit in epochs 2 and 3; the others are computed every time.
    expect(hits).toBe(2 * entries);
    expect(misses).toBe(EXAMPLES + 2 * refused);
    expect(withCache.slice(0, STEPS_PER_EPOCH)).toEqual(reference.slice(0, STEPS_PER_EPOCH));
    for (let i = 0; i < steps; i++)
      expect(Math.abs(withCache[i]! - reference[i]!)).toBeLessThan(BF16_LOSS_TOLERANCE);
    plain.close();
    bounded.close();
  });

  it("skips the frozen layer's forward and backward: a cached step runs exactly that layer's forward matmuls fewer", async () => {
    const plain = await openTrainer(1, { activationCacheMb: 0 });
    const cached = await openTrainer(1);
    // After one epoch every example is cached; the next step draws the same batch in both runs.
    await losses(plain.trainer, STEPS_PER_EPOCH);
    await losses(cached.trainer, STEPS_PER_EPOCH);
    const matMuls = async (trainer: Trainer) => {
      const info = await tf.profile(async () => {
        await trainer.trainStep();
        return [];
      });
      return productsRun(info.kernels);
    };
    const withoutCache = await matMuls(plain.trainer);
    const withCache = await matMuls(cached.trainer);
    expect(cached.trainer.activationCache!.stats.hits).toBeGreaterThan(0);
    // Layer 0's forward, counted alone: 7 projections, their 14 LoRA matmuls, 2 in attention, and composed 2 in
    // rope (rotate_half of q and of k), which the compiled rotary kernel does without a matmul.
    const ropeMatMuls = tf.getKernel(ROTARY, tf.getBackend()) ? 0 : 2;
    const ids = tf.zeros([4, 12], "int32") as tf.Tensor2D;
    const layer0Kernels = (
      await tf.profile(() => tf.tidy(() => cached.model.layerOutput!(ids, undefined, 1)) as tf.Tensor)
    ).kernels;
    const layer0 = productsRun(layer0Kernels);
    ids.dispose();
    expect(layer0).toBe(23 + ropeMatMuls);
    // Were layer 0's backward run without the cache, the difference would be larger than its forward.
    expect(withoutCache - withCache).toBe(layer0);
    plain.close();
    cached.close();
  });

  it("refills at the new depth when the next layer freezes", async () => {
    const { trainer, close } = await openTrainer(1);
    await losses(trainer, STEPS_PER_EPOCH);
    expect(trainer.activationCache!.stats).toMatchObject({ layers: 1, entries: EXAMPLES });
    for (const c of trainer.components) if (c.layer === 1) trainer.freezeNow(c.name);
    await trainer.trainStep();
    const { layers, entries } = trainer.activationCache!.stats;
    expect(layers).toBe(2);
    expect(entries).toBeGreaterThan(0);
    expect(entries).toBeLessThanOrEqual(4);
    close();
  });

  it("measures the loss alone once every layer is frozen, from the cache too", async () => {
    const plain = await openTrainer(LAYERS, { activationCacheMb: 0 });
    const cached = await openTrainer(LAYERS);
    const before = plain.trainer.components.map((c) => Array.from(c.variables[0]!.dataSync()));
    const steps = 2 * STEPS_PER_EPOCH;
    const reference = await losses(plain.trainer, steps);
    const withCache = await losses(cached.trainer, steps);
    for (let i = 0; i < steps; i++)
      expect(Math.abs(withCache[i]! - reference[i]!)).toBeLessThan(BF16_LOSS_TOLERANCE);
    // Nothing trains: no gradient, no update.
    expect((await plain.trainer.trainStep()).gradNorm).toBe(0);
    expect(plain.trainer.components.map((c) => Array.from(c.variables[0]!.dataSync()))).toEqual(before);
    expect(cached.trainer.activationCache!.stats.layers).toBe(LAYERS);
    plain.close();
    cached.close();
  });

  it("is absent where the frozen layers' output is not a function of the example: full fine-tuning, LoRA dropout", async () => {
    const full = await openTrainer(1, { trainingType: "full" });
    expect(full.trainer.activationCache).toBeUndefined();
    expect(full.trainer.activationCacheExclusion).toMatch(/embeddings and norms/);
    full.close();
    const dropout = await openTrainer(1);
    dropout.close();
    const spec = baseSpec(root);
    const withDropout = await openTrainer(1, { lora: { ...spec.lora, dropout: 0.1 } });
    expect(withDropout.trainer.activationCache).toBeUndefined();
    expect(withDropout.trainer.activationCacheExclusion).toMatch(/dropout/);
    withDropout.close();
  });

  it("counts the lowest layers that are entirely frozen", () => {
    const c = (layer: number, name: string) => ({
      name,
      layer,
      projection: "q_proj" as const,
      variables: [],
    });
    const comps = [c(0, "a"), c(0, "b"), c(1, "c"), c(2, "d")];
    const frozen = (names: string[]) => (n: string) => names.includes(n);
    expect(frozenPrefixLayers(comps, frozen([]), 3)).toBe(0);
    expect(frozenPrefixLayers(comps, frozen(["a", "c", "d"]), 3)).toBe(0);
    expect(frozenPrefixLayers(comps, frozen(["a", "b", "d"]), 3)).toBe(1);
    expect(frozenPrefixLayers(comps, frozen(["a", "b", "c", "d"]), 3)).toBe(3);
  });
});
