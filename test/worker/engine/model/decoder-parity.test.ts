import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../../worker/engine/backend.ts";
import { DecoderModel, disposeKvCache } from "../../../../worker/engine/model/causal-lm.ts";
import { type DecoderConfig, parseModelConfig } from "../../../../worker/engine/model/config.ts";
import { expectedWeights } from "../../../../worker/engine/model/weights.ts";
import { maxAbsDiff, randomWeights, toTensors } from "../support/random-weights.ts";
import { referenceLogits } from "../support/reference-decoder.ts";

const base = {
  vocab_size: 37,
  hidden_size: 16,
  intermediate_size: 24,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
};

const FAMILIES: [string, Record<string, unknown>][] = [
  [
    "qwen3 (q_norm/k_norm, head_dim != hidden/heads, tied)",
    { model_type: "qwen3", head_dim: 8, tie_word_embeddings: true },
  ],
  ["qwen2 (q/k/v biases)", { model_type: "qwen2" }],
  ["llama (separate lm_head, MHA)", { model_type: "llama", num_key_value_heads: 4, rope_theta: 500000 }],
  ["mistral (sliding window)", { model_type: "mistral", sliding_window: 3, num_key_value_heads: 1 }],
];

const ids = [
  [3, 17, 5, 36, 0, 9, 22],
  [8, 1, 30, 30, 12, 2, 2],
];
// Second row: right padding on the last two positions.
const mask = [
  [1, 1, 1, 1, 1, 1, 1],
  [1, 1, 1, 1, 1, 0, 0],
];

function run(cfg: DecoderConfig, seed: number) {
  const w = randomWeights(expectedWeights(cfg), seed);
  const model = new DecoderModel(cfg, toTensors(w));
  const logits = tf.tidy(() =>
    model.forward(tf.tensor2d(ids, undefined, "int32"), tf.tensor2d(mask, undefined, "int32")).arraySync(),
  ) as number[][][];
  const ref = referenceLogits(cfg, w, ids, mask);
  model.dispose();
  return { logits, ref };
}

describe.each(["cpu", "wasm"] as const)("decoder logits match the float64 reference on %s", (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });

  it.each(FAMILIES)("%s", (_label, extra) => {
    const cfg = parseModelConfig({ ...base, ...extra });
    const { logits, ref } = run(cfg, 42);
    expect(logits[0]!.length).toBe(7);
    expect(logits[0]![0]!.length).toBe(37);
    const diff = maxAbsDiff(logits, ref, (b, t) => mask[b]![t] === 0);
    // Logits are O(1); float32 accumulation over a 2-layer model stays well within 1e-4.
    expect(diff).toBeLessThan(1e-4);
    // The reference is not trivially matched: logits vary across positions.
    expect(Math.abs(ref[0]![1]![0]! - ref[0]![2]![0]!)).toBeGreaterThan(1e-3);
  });

  it("left padding: real tokens' logits do not depend on what the padded positions hold", () => {
    const cfg = parseModelConfig({ ...base, model_type: "qwen3", head_dim: 8 });
    const w = randomWeights(expectedWeights(cfg), 7);
    const model = new DecoderModel(cfg, toTensors(w));
    const m = tf.tensor2d([[0, 0, 1, 1, 1]], undefined, "int32");
    const a = tf.tidy(() =>
      model.forward(tf.tensor2d([[4, 4, 10, 11, 12]], undefined, "int32"), m).arraySync(),
    );
    const b = tf.tidy(() =>
      model.forward(tf.tensor2d([[30, 2, 10, 11, 12]], undefined, "int32"), m).arraySync(),
    );
    const ref = referenceLogits(cfg, w, [[30, 2, 10, 11, 12]], [[0, 0, 1, 1, 1]]);
    for (const t of [2, 3, 4]) {
      for (let v = 0; v < 37; v++) {
        expect(a[0]![t]![v]).toBeCloseTo(b[0]![t]![v]!, 5);
        expect(Math.abs(a[0]![t]![v]! - ref[0]![t]![v]!)).toBeLessThan(1e-4);
      }
    }
    m.dispose();
    model.dispose();
  });

  it.each(FAMILIES)(
    "incremental decoding with the key/value cache equals the full pass: %s",
    (_label, extra) => {
      const cfg = parseModelConfig({ ...base, ...extra });
      const model = new DecoderModel(cfg, toTensors(randomWeights(expectedWeights(cfg), 3)));
      const row = ids[0]!;
      const full = tf.tidy(() => model.hiddenStates(tf.tensor2d([row], undefined, "int32")).arraySync()[0]!);
      const before = tf.memory().numTensors;
      const cache = model.createKvCache();
      const steps: number[][] = [];
      // A 3-token prefill, then one token at a time.
      for (const chunk of [row.slice(0, 3), ...row.slice(3).map((t) => [t])]) {
        const h = tf.tidy(() =>
          model.decodeHidden(tf.tensor2d([chunk], undefined, "int32"), cache).arraySync(),
        );
        steps.push(...h);
      }
      expect(cache.length).toBe(row.length);
      disposeKvCache(cache);
      expect(tf.memory().numTensors).toBe(before);
      for (let t = 0; t < row.length; t++) {
        for (let i = 0; i < cfg.hidden_size; i++)
          expect(Math.abs(steps[t]![i]! - full[t]![i]!)).toBeLessThan(1e-4);
      }
      model.dispose();
    },
  );

  it("leaks no tensors in forward", () => {
    const cfg = parseModelConfig({ ...base, model_type: "qwen2" });
    const model = new DecoderModel(cfg, toTensors(randomWeights(expectedWeights(cfg), 1)));
    const input = tf.tensor2d(ids, undefined, "int32");
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) model.forward(input).dispose();
    expect(tf.memory().numTensors).toBe(before);
    input.dispose();
    model.dispose();
  });
});
