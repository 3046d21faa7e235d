import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../../worker/engine/backend.ts";
import { readSafetensors, writeSafetensors } from "../../../../worker/engine/io/safetensors.ts";
import { parseModelConfig } from "../../../../worker/engine/model/config.ts";
import { initTinyModel } from "../../../../worker/engine/model/init.ts";
import { loadModel } from "../../../../worker/engine/model/loader.ts";
import { expectedWeights } from "../../../../worker/engine/model/weights.ts";
import { maxAbsDiff, randomWeights } from "../support/random-weights.ts";
import { referenceLogits } from "../support/reference-decoder.ts";
import { makeTempDir } from "../support/tmp-dir.ts";

const small = {
  model_type: "qwen2",
  vocab_size: 50,
  hidden_size: 16,
  intermediate_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 4,
  tie_word_embeddings: false,
};

describe("loadModel", () => {
  let root: string;
  let cleanup: () => Promise<void>;
  let n = 0;
  beforeAll(async () => {
    await initBackend("cpu");
    ({ dir: root, cleanup } = await makeTempDir());
  });
  afterAll(() => cleanup());

  async function writeFolder(mutate?: (w: Map<string, { shape: number[]; data: Float32Array }>) => void) {
    const dir = join(root, `m${n++}`);
    await initTinyModel(dir, {
      preset: "qwen2-tiny",
      withTokenizer: false,
      overrides: { ...small } as never,
    });
    const w = new Map(
      [...(await readSafetensors(join(dir, "model.safetensors")))].map(([k, v]) => [
        k,
        { shape: v.shape, data: v.data },
      ]),
    );
    if (mutate) {
      mutate(w);
      await writeSafetensors(join(dir, "model.safetensors"), w);
    }
    return { dir, w };
  }

  it("names a missing weight", async () => {
    const { dir } = await writeFolder((w) => w.delete("model.layers.1.self_attn.k_proj.bias"));
    await expect(loadModel(dir)).rejects.toThrow(/missing weight model\.layers\.1\.self_attn\.k_proj\.bias/);
  });

  it("names a weight with the wrong shape", async () => {
    const { dir } = await writeFolder((w) =>
      w.set("model.layers.0.mlp.up_proj.weight", { shape: [16, 32], data: new Float32Array(512) }),
    );
    await expect(loadModel(dir)).rejects.toThrow(
      /weight model\.layers\.0\.mlp\.up_proj\.weight has shape \[16, 32\], expected \[32, 16\]/,
    );
  });

  it("names an unexpected weight", async () => {
    const { dir } = await writeFolder((w) =>
      w.set("model.layers.2.mlp.up_proj.weight", { shape: [32, 16], data: new Float32Array(512) }),
    );
    await expect(loadModel(dir)).rejects.toThrow(/unexpected weight model\.layers\.2\.mlp\.up_proj\.weight/);
  });

  it("names the bad config field", async () => {
    const { dir } = await writeFolder();
    const cfg = JSON.parse(await readFile(join(dir, "config.json"), "utf8"));
    await writeFile(join(dir, "config.json"), JSON.stringify({ ...cfg, num_key_value_heads: 3 }));
    await expect(loadModel(dir)).rejects.toThrow(
      /num_key_value_heads: 3 must divide num_attention_heads \(4\)/,
    );
  });

  it("loads a sharded checkpoint through model.safetensors.index.json and matches the reference", async () => {
    const cfg = parseModelConfig(small);
    const w = randomWeights(expectedWeights(cfg), 5);
    const dir = join(root, "sharded");
    await initTinyModel(dir, {
      preset: "qwen2-tiny",
      withTokenizer: false,
      overrides: { ...small } as never,
    });
    await rm(join(dir, "model.safetensors"));
    const names = [...w.keys()];
    const half = Math.floor(names.length / 2);
    const shards = [names.slice(0, half), names.slice(half)];
    const weightMap: Record<string, string> = {};
    for (const [i, shard] of shards.entries()) {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      const m = new Map(
        shard.map((k) => [k, { shape: w.get(k)!.shape, data: w.get(k)!.data as Float32Array }]),
      );
      // One shard in BF16, as released checkpoints often are: values are rounded, so compare to the rounded ones.
      await writeSafetensors(join(dir, file), m, { dtype: i === 0 ? "BF16" : "F32" });
      for (const k of shard) weightMap[k] = file;
    }
    await writeFile(
      join(dir, "model.safetensors.index.json"),
      JSON.stringify({ metadata: {}, weight_map: weightMap }),
    );
    const model = await loadModel(dir);
    const stored = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [i] of shards.entries()) {
      for (const [k, v] of await readSafetensors(join(dir, `model-0000${i + 1}-of-00002.safetensors`)))
        stored.set(k, v);
    }
    const ids = [[1, 2, 3, 40, 41]];
    const logits = tf.tidy(() => model.forward(tf.tensor2d(ids, undefined, "int32")).arraySync());
    expect(model.config.rope_theta).toBe(1_000_000);
    expect(maxAbsDiff(logits, referenceLogits(model.config, stored, ids))).toBeLessThan(1e-4);
    model.dispose();
  });

  it("names a shard listed in the index but absent", async () => {
    const { dir } = await writeFolder();
    await rm(join(dir, "model.safetensors"));
    await writeFile(
      join(dir, "model.safetensors.index.json"),
      JSON.stringify({ weight_map: { "model.norm.weight": "model-00001-of-00001.safetensors" } }),
    );
    await expect(loadModel(dir)).rejects.toThrow(/shard model-00001-of-00001\.safetensors .* is missing/);
  });

  it("round-trips initTinyModel: the loaded weights are the written ones, deterministic for a seed", async () => {
    const a = join(root, "tiny-a");
    const b = join(root, "tiny-b");
    const cfgA = await initTinyModel(a, {
      preset: "llama-tiny",
      seed: 3,
      withTokenizer: false,
      overrides: { vocab_size: 300 },
    });
    await initTinyModel(b, {
      preset: "llama-tiny",
      seed: 3,
      withTokenizer: false,
      overrides: { vocab_size: 300 },
    });
    const [bytesA, bytesB] = await Promise.all([a, b].map((d) => readFile(join(d, "model.safetensors"))));
    expect(bytesA!.equals(bytesB!)).toBe(true);
    expect(cfgA.tie_word_embeddings).toBe(false);
    const model = await loadModel(a);
    expect(model.config).toEqual(cfgA);
    const emb = Array.from(model.namedWeights().get("model.embed_tokens.weight")!.dataSync());
    const mean = emb.reduce((s, x) => s + x, 0) / emb.length;
    const std = Math.sqrt(emb.reduce((s, x) => s + (x - mean) ** 2, 0) / emb.length);
    expect(Math.abs(std - 0.02)).toBeLessThan(0.001);
    expect([...model.namedWeights().get("model.norm.weight")!.dataSync()]).toEqual(new Array(64).fill(1));
    expect(model.namedWeights().has("lm_head.weight")).toBe(true);
    model.dispose();
  });
});
