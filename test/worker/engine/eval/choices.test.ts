import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../../worker/engine/backend.ts";
import { choiceLogLikelihoods, tallyPredictions } from "../../../../worker/engine/eval/choices.ts";
import { DecoderModel } from "../../../../worker/engine/model/causal-lm.ts";
import { parseModelConfig } from "../../../../worker/engine/model/config.ts";
import type { CausalLM, ModelConfig } from "../../../../worker/engine/model/types.ts";
import { expectedWeights } from "../../../../worker/engine/model/weights.ts";
import { randomWeights, toTensors } from "../support/random-weights.ts";
import { referenceLogits } from "../support/reference-decoder.ts";

/**
 * A bigram language model with hand-picked next-token probabilities: the logits after token a are ln of
 * P[a], so every log-likelihood is a sum of logs of these fractions.
 */
const P = [
  [1 / 4, 1 / 2, 1 / 4],
  [3 / 5, 1 / 5, 1 / 5],
  [1 / 3, 1 / 3, 1 / 3],
];

function bigramModel(): CausalLM {
  const table = tf.tensor2d(P.map((row) => row.map(Math.log)));
  return {
    config: { vocab_size: 3 } as ModelConfig,
    forward: (ids) => tf.gather(table, ids) as unknown as tf.Tensor3D, // [B, T, V]
    components: () => [],
    enableFullFineTuning: () => {},
    applyLora: () => {},
    lora: undefined,
    namedWeights: () => new Map(),
    untrackedWeights: () => new Map(),
    dispose: () => table.dispose(),
  };
}

beforeAll(async () => {
  await initBackend("wasm");
});

describe("label log-likelihood", () => {
  it("sums the log-probabilities of the choice's tokens after the prompt, as computed by hand", async () => {
    const model = bigramModel();
    const rows = [
      { prompt: [0], choice: [1, 0] }, // p(1|0) p(0|1) = 1/2 · 3/5
      { prompt: [2, 0], choice: [2] }, // p(2|0) = 1/4
      { prompt: [1, 1, 1, 2], choice: [0, 0] }, // p(0|2) p(0|0) = 1/3 · 1/4
    ];
    const expected = [Math.log(0.5 * 0.6), Math.log(0.25), Math.log((1 / 3) * 0.25)];
    for (const batchSize of [1, 2, 3]) {
      const ll = await choiceLogLikelihoods(model, rows, 0, batchSize);
      for (const [i, v] of ll.entries()) expect(v).toBeCloseTo(expected[i]!, 5);
    }
    model.dispose();
  });

  it("matches a float64 reference decoder row by row, whatever the padding of the batch", async () => {
    const cfg = parseModelConfig({
      model_type: "qwen3",
      vocab_size: 29,
      hidden_size: 16,
      intermediate_size: 24,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      head_dim: 8,
      tie_word_embeddings: true,
    });
    const weights = randomWeights(expectedWeights(cfg), 5, 0.5);
    const model = new DecoderModel(cfg, toTensors(weights));
    const rows = [
      { prompt: [3, 9, 14], choice: [2, 20] },
      { prompt: [7], choice: [1, 1, 18, 5] },
      { prompt: [4, 4, 4, 4, 4, 8], choice: [28] },
    ];
    const expected = rows.map((r) => {
      const seq = [...r.prompt, ...r.choice];
      const logits = referenceLogits(cfg, weights, [seq])[0]!;
      let sum = 0;
      for (let t = r.prompt.length - 1; t + 1 < seq.length; t++) {
        const row = logits[t]!;
        const max = Math.max(...row);
        const lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
        sum += row[seq[t + 1]!]! - lse;
      }
      return sum;
    });
    const before = tf.memory().numTensors;
    const batched = await choiceLogLikelihoods(model, rows, 0, 3);
    const single = await choiceLogLikelihoods(model, rows, 0, 1);
    expect(tf.memory().numTensors).toBe(before);
    batched.forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i]!, 3);
      expect(single[i]!).toBeCloseTo(v, 4);
    });
    model.dispose();
  });

  it("refuses an empty prompt and a token outside the vocabulary", async () => {
    const model = bigramModel();
    await expect(choiceLogLikelihoods(model, [{ prompt: [], choice: [1] }], 0)).rejects.toThrow(
      /non-empty prompt/,
    );
    await expect(choiceLogLikelihoods(model, [{ prompt: [0], choice: [3] }], 0)).rejects.toThrow(
      /outside the vocabulary/,
    );
    model.dispose();
  });
});

describe("tallyPredictions", () => {
  it("counts accuracy, and per class the gold examples, the correct ones and the predictions", () => {
    const r = tallyPredictions(["a", "a", "b", "b", "b"], ["a", "b", "b", "b", "a"], ["a", "b"]);
    expect(r.accuracy).toBeCloseTo(3 / 5, 12);
    expect(r.correct).toBe(3);
    expect(r.perClass).toEqual({
      a: { examples: 2, correct: 1, predicted: 2 },
      b: { examples: 3, correct: 2, predicted: 3 },
    });
  });
});
