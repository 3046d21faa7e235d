import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../../worker/engine/backend.ts";
import { DecoderModel } from "../../../../worker/engine/model/causal-lm.ts";
import { parseModelConfig } from "../../../../worker/engine/model/config.ts";
import {
  summedNextTokenLoss,
  summedNextTokenLossFromHidden,
} from "../../../../worker/engine/model/lm-loss.ts";
import { PROJECTIONS } from "../../../../worker/engine/model/types.ts";
import { expectedWeights } from "../../../../worker/engine/model/weights.ts";
import { randomWeights, toTensors } from "../support/random-weights.ts";
import { referenceLogits } from "../support/reference-decoder.ts";

const cfg = parseModelConfig({
  model_type: "qwen3",
  vocab_size: 53,
  hidden_size: 16,
  intermediate_size: 24,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 8,
  tie_word_embeddings: true,
});
const weights = randomWeights(expectedWeights(cfg), 8);
const ids = [
  [3, 9, 14, 2, 20, 51],
  [7, 1, 1, 18, 5, 0],
];
const mask = [
  [1, 1, 1, 1, 1, 1],
  [1, 1, 1, 1, 1, 0],
];
const labels = [
  [-100, -100, 14, 2, 20, 51],
  [-100, 1, 1, 18, 5, -100],
];

/** The plain route: full logits, logSoftmax, one-hot pick. */
function plainLoss(model: DecoderModel, input: tf.Tensor2D, attn: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const logits = model.forward(input, attn); // [B, T, V]
    const logp = tf.logSoftmax(tf.slice(logits, [0, 0, 0], [2, 5, -1])); // [B, T-1, V]
    const tgt = labels.map((r) => r.slice(1).map((y) => Math.max(y, 0)));
    const valid = labels.map((r) => r.slice(1).map((y) => (y === -100 ? 0 : 1)));
    const picked = tf.sum(tf.mul(logp, tf.oneHot(tf.tensor2d(tgt, undefined, "int32"), 53)), -1);
    return tf.neg(tf.sum(tf.mul(picked, tf.tensor2d(valid)))) as tf.Scalar;
  });
}

type Grads = { value: tf.Scalar; grads: tf.NamedTensorMap };

function expectSameLossAndGrads(fused: Grads, plain: Grads, vars: tf.Variable[]): void {
  expect(fused.value.dataSync()[0]).toBeCloseTo(plain.value.dataSync()[0]!, 4);
  for (const v of vars) {
    const a = fused.grads[v.name]!.dataSync();
    const b = plain.grads[v.name]!.dataSync();
    for (let i = 0; i < a.length; i++)
      expect(Math.abs(a[i]! - b[i]!), v.name).toBeLessThan(1e-5 + 1e-3 * Math.abs(b[i]!));
  }
}

describe.each(["cpu", "wasm"] as const)("chunked next-token loss on %s", (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });

  it("equals the reference loss and the plain route's LoRA gradients, for any chunk size, without leaks", () => {
    const model = new DecoderModel(cfg, toTensors(weights));
    model.applyLora({
      r: 2,
      alpha: 4,
      dropout: 0,
      targetModules: [...PROJECTIONS],
      useRslora: false,
      seed: 3,
    });
    for (const c of model.components()) c.variables[1]!.assign(tf.fill(c.variables[1]!.shape, 0.05));
    const vars = model.components().flatMap((c) => c.variables);
    const input = tf.tensor2d(ids, undefined, "int32");
    const attn = tf.tensor2d(mask, undefined, "int32");

    const plain = tf.variableGrads(() => plainLoss(model, input, attn), vars);
    const before = tf.memory().numTensors;
    // Probabilities kept from the forward pass, or recomputed in the backward pass (large vocabularies).
    for (const keepProbabilities of [true, false])
      for (const chunkRows of [3, 256]) {
        const fused = tf.variableGrads(
          () => summedNextTokenLoss(model, input, attn, labels, { chunkRows, keepProbabilities }),
          vars,
        );
        expectSameLossAndGrads(fused, plain, vars);
        tf.dispose([fused.value, ...Object.values(fused.grads)]);
        expect(tf.memory().numTensors).toBe(before);
      }

    // The reference (with B A added to each projection) gives the same loss.
    const modules = new Map(
      model.components().map((c) => [
        c.name,
        {
          A: { shape: c.variables[0]!.shape, data: c.variables[0]!.dataSync() },
          B: { shape: c.variables[1]!.shape, data: c.variables[1]!.dataSync() },
        },
      ]),
    );
    const ref = referenceLogits(cfg, weights, ids, mask, { scaling: 2, modules });
    let expected = 0;
    labels.forEach((row, b) => {
      for (let t = 0; t + 1 < row.length; t++) {
        const y = row[t + 1]!;
        if (y === -100) continue;
        const l = ref[b]![t]!;
        const m = Math.max(...l);
        expected += m + Math.log(l.reduce((s, z) => s + Math.exp(z - m), 0)) - l[y]!;
      }
    });
    expect(plain.value.dataSync()[0]).toBeCloseTo(expected, 3);
    tf.dispose([plain.value, ...Object.values(plain.grads), input, attn]);
    model.dispose();
  });

  it("gives every weight of a fully trained model, tied embeddings included, the plain route's gradient", () => {
    const model = new DecoderModel(cfg, toTensors(weights));
    model.enableFullFineTuning([...PROJECTIONS]);
    const vars = [...model.namedWeights().values()];
    expect(vars.every((v) => v.trainable)).toBe(true);
    const input = tf.tensor2d(ids, undefined, "int32");
    const attn = tf.tensor2d(mask, undefined, "int32");
    const plain = tf.variableGrads(() => plainLoss(model, input, attn), vars);
    for (const keepProbabilities of [true, false])
      for (const chunkRows of [4, 256]) {
        const fused = tf.variableGrads(
          () => summedNextTokenLoss(model, input, attn, labels, { chunkRows, keepProbabilities }),
          vars,
        );
        expectSameLossAndGrads(fused, plain, vars);
        tf.dispose([fused.value, ...Object.values(fused.grads)]);
      }
    // The embedding's gradient has both parts: the input lookup and the output projection.
    const embed = plain.grads[model.namedWeights().get("model.embed_tokens.weight")!.name]!;
    expect(Array.from(embed.dataSync()).filter((x) => x !== 0).length).toBe(53 * 16);
    tf.dispose([plain.value, ...Object.values(plain.grads), input, attn]);
    model.dispose();
  });

  it("rejects a label outside the vocabulary and returns 0 when nothing is labelled", () => {
    const model = new DecoderModel(cfg, toTensors(weights));
    const input = tf.tensor2d(ids, undefined, "int32");
    expect(() =>
      summedNextTokenLoss(model, input, undefined, [
        [0, 99, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0],
      ]),
    ).toThrow(/label 99 at \[0, 1\] is outside the vocabulary \(53\)/);
    const none = summedNextTokenLoss(
      model,
      input,
      undefined,
      ids.map((r) => r.map(() => -100)),
    );
    expect(none.dataSync()[0]).toBe(0);
    tf.dispose([none, input]);
    model.dispose();
  });
});

describe("chunked next-token loss without a gradient tape", () => {
  it("leaks nothing when only evaluated", async () => {
    await initBackend("wasm");
    const model = new DecoderModel(cfg, toTensors(weights));
    const input = tf.tensor2d(ids, undefined, "int32");
    const before = tf.memory().numTensors;
    for (let i = 0; i < 2; i++)
      summedNextTokenLoss(model, input, undefined, labels, { chunkRows: 4 }).dispose();
    expect(tf.memory().numTensors).toBe(before);
    input.dispose();
    model.dispose();
  });

  it("gives a target far below the others its exact loss, probabilities kept or not", () => {
    // Logits [0, 100, 0] at both positions; the first target is word 0 (loss 100 + log(1 + 2e-44) = 100), the
    // second word 1 (loss log(1 + 2e-44) = 0). p[0] = e^-100 underflows float32: -log p would be off or infinite.
    const hidden = tf.ones([1, 3, 1]) as tf.Tensor3D;
    const lmHead = tf.tensor2d([[0], [100], [0]]);
    for (const keep of [true, false]) {
      const loss = summedNextTokenLossFromHidden(hidden, lmHead, [[-100, 0, 1]], 256, keep);
      expect(loss.dataSync()[0]).toBeCloseTo(100, 4);
      loss.dispose();
    }
    tf.dispose([hidden, lmHead]);
  });
});
