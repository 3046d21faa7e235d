import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../../worker/engine/backend.ts";
import { DecoderModel } from "../../../../worker/engine/model/causal-lm.ts";
import { parseModelConfig } from "../../../../worker/engine/model/config.ts";
import { expectedWeights } from "../../../../worker/engine/model/weights.ts";
import { maxAbsDiff, randomWeights, toTensors } from "../support/random-weights.ts";

const cfg = parseModelConfig({
  model_type: "qwen3",
  vocab_size: 37,
  hidden_size: 16,
  intermediate_size: 24,
  num_hidden_layers: 3,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 8,
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
  tie_word_embeddings: true,
});
const H = cfg.hidden_size;

let model: DecoderModel;

beforeAll(async () => {
  await initBackend("wasm", { threads: 1 });
  model = new DecoderModel(cfg, toTensors(randomWeights(expectedWeights(cfg), 7)));
  model.applyLora({
    r: 2,
    alpha: 4,
    dropout: 0,
    targetModules: ["q_proj", "down_proj"],
    useRslora: false,
    seed: 1,
  });
  // B starts at 0: give the adapters a value so the LoRA path counts.
  for (const lora of model.loraModules().values())
    lora.B.assign(tf.randomNormal(lora.B.shape, 0, 0.3, "float32", 5));
});

afterAll(() => model.dispose());

const rows = [
  [3, 17, 5, 36, 0, 9, 22],
  [8, 1, 30, 12, 2],
];

/** The rows right-padded with id 0 to `length`, and their mask. */
function padded(length: number) {
  const ids = rows.map((r) => [...r, ...Array(length - r.length).fill(0)]);
  const mask = rows.map((r) => [...r.map(() => 1), ...Array(length - r.length).fill(0)]);
  return { ids: tf.tensor2d(ids, undefined, "int32"), mask: tf.tensor2d(mask, undefined, "int32") };
}

describe("starting above the lowest layers", () => {
  it("continues from layerOutput exactly where the full pass would be, for every split", () => {
    const { ids, mask } = padded(7);
    const full = model.hiddenStates(ids, mask);
    for (let k = 0; k <= cfg.num_hidden_layers; k++) {
      const lower = model.layerOutput(ids, mask, k);
      expect(lower.shape).toEqual([2, 7, H]);
      const split = model.hiddenStates(ids, mask, { from: { layers: k, hidden: lower } });
      expect(maxAbsDiff(split.arraySync() as number[][][], full.arraySync() as number[][][])).toBe(0);
      tf.dispose([lower, split]);
    }
    tf.dispose([ids, mask, full]);
  });

  it("gives real positions the same states when their lower-layer output is re-padded, with zeros, to another length", () => {
    // Layer 0's output computed in a batch padded to 7, moved into a batch padded to 11 (as a cached example is).
    const short = padded(7);
    const long = padded(11);
    const lower = model.layerOutput(short.ids, short.mask, 1).arraySync() as number[][][];
    const moved = lower.map((row, b) =>
      Array.from({ length: 11 }, (_, t) => (t < rows[b]!.length ? row[t]! : Array(H).fill(0))),
    );
    const from = tf.tensor3d(moved);
    const resumed = model.hiddenStates(long.ids, long.mask, { from: { layers: 1, hidden: from } });
    const reference = model.hiddenStates(long.ids, long.mask);
    const r = resumed.arraySync() as number[][][];
    const ref = reference.arraySync() as number[][][];
    for (let b = 0; b < rows.length; b++) {
      const n = rows[b]!.length;
      expect(maxAbsDiff([r[b]!.slice(0, n)], [ref[b]!.slice(0, n)])).toBeLessThan(1e-6);
    }
    tf.dispose([short.ids, short.mask, long.ids, long.mask, from, resumed, reference]);
  });

  it("names a wrong shape or depth", () => {
    const { ids, mask } = padded(7);
    const wrong = tf.zeros([2, 6, H]) as tf.Tensor3D;
    expect(() => model.hiddenStates(ids, mask, { from: { layers: 1, hidden: wrong } })).toThrow(/\[2,7,16\]/);
    const deep = tf.zeros([2, 7, H]) as tf.Tensor3D;
    expect(() => model.layerOutput(ids, mask, 4)).toThrow(/outside 0\.\.3/);
    expect(() => model.hiddenStates(ids, mask, { from: { layers: 4, hidden: deep } })).toThrow(/above 4/);
    tf.dispose([ids, mask, wrong, deep]);
  });
});
