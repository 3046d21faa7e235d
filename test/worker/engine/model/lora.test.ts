import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../../worker/engine/backend.ts";
import { writeSafetensors } from "../../../../worker/engine/io/safetensors.ts";
import { DecoderModel } from "../../../../worker/engine/model/causal-lm.ts";
import { parseModelConfig } from "../../../../worker/engine/model/config.ts";
import { loadPeftAdapter } from "../../../../worker/engine/model/peft-adapter.ts";
import { type LoraOptions, PROJECTIONS } from "../../../../worker/engine/model/types.ts";
import { expectedWeights } from "../../../../worker/engine/model/weights.ts";
import { lcg, maxAbsDiff, randomWeights, toTensors } from "../support/random-weights.ts";
import { type RefTensor, referenceLogits } from "../support/reference-decoder.ts";
import { makeTempDir } from "../support/tmp-dir.ts";

const cfg = parseModelConfig({
  model_type: "qwen3",
  vocab_size: 41,
  hidden_size: 16,
  intermediate_size: 24,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 8,
});
const weights = randomWeights(expectedWeights(cfg), 11);
const ids = [
  [1, 5, 9, 33, 2],
  [7, 7, 12, 40, 0],
];
const lora: LoraOptions = {
  r: 4,
  alpha: 8,
  dropout: 0,
  targetModules: [...PROJECTIONS],
  useRslora: false,
  seed: 1,
};

function logitsOf(model: DecoderModel, opts = {}): number[][][] {
  return tf.tidy(() => model.forward(tf.tensor2d(ids, undefined, "int32"), undefined, opts).arraySync());
}

describe("LoRA", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    await initBackend("cpu");
    ({ dir, cleanup } = await makeTempDir());
  });
  afterAll(() => cleanup());

  it("with B = 0 gives exactly the base model's logits, and A is kaiming-uniform U(-1/sqrt(in), 1/sqrt(in))", () => {
    const model = new DecoderModel(cfg, toTensors(weights));
    const base = logitsOf(model);
    model.applyLora(lora);
    expect(maxAbsDiff(logitsOf(model), base)).toBe(0);
    const comps = model.components();
    expect(comps.length).toBe(2 * 7);
    expect(comps.map((c) => c.name).slice(0, 7)).toEqual([
      "model.layers.0.self_attn.q_proj",
      "model.layers.0.self_attn.k_proj",
      "model.layers.0.self_attn.v_proj",
      "model.layers.0.self_attn.o_proj",
      "model.layers.0.mlp.gate_proj",
      "model.layers.0.mlp.up_proj",
      "model.layers.0.mlp.down_proj",
    ]);
    const down = comps[6]!;
    expect(down.variables.map((v) => v.shape)).toEqual([
      [4, 24],
      [16, 4],
    ]);
    const a = down.variables[0]!.dataSync();
    const bound = 1 / Math.sqrt(24);
    expect(Math.max(...a.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...a.map(Math.abs))).toBeGreaterThan(0.8 * bound);
    expect([...down.variables[1]!.dataSync()].every((x) => x === 0)).toBe(true);
    expect(down.variables.every((v) => v.trainable)).toBe(true);
    model.dispose();
  });

  it("is seeded: the same seed gives the same A, another seed a different one", () => {
    const m1 = new DecoderModel(cfg, toTensors(weights));
    const m2 = new DecoderModel(cfg, toTensors(weights));
    const m3 = new DecoderModel(cfg, toTensors(weights));
    m1.applyLora(lora);
    m2.applyLora(lora);
    m3.applyLora({ ...lora, seed: 2 });
    const a = (m: DecoderModel) => [...m.components()[0]!.variables[0]!.dataSync()];
    expect(a(m1)).toEqual(a(m2));
    expect(a(m1)).not.toEqual(a(m3));
    for (const m of [m1, m2, m3]) m.dispose();
  });

  it("with nonzero B matches the reference with W + scaling * B A, and rsLoRA scales by alpha/sqrt(r)", () => {
    for (const useRslora of [false, true]) {
      const model = new DecoderModel(cfg, toTensors(weights));
      model.applyLora({ ...lora, useRslora, targetModules: ["q_proj", "v_proj", "down_proj"] });
      const next = lcg(99);
      const modules = new Map<string, { A: RefTensor; B: RefTensor }>();
      for (const c of model.components()) {
        const [A, B] = c.variables as [tf.Variable, tf.Variable];
        const bVals = Float32Array.from({ length: B.size }, () => next() - 0.5);
        B.assign(tf.tensor(bVals, B.shape));
        modules.set(c.name, {
          A: { shape: A.shape, data: A.dataSync() },
          B: { shape: B.shape, data: bVals },
        });
      }
      const scaling = useRslora ? 8 / 2 : 8 / 4;
      const ref = referenceLogits(cfg, weights, ids, undefined, { scaling, modules });
      const got = logitsOf(model);
      expect(maxAbsDiff(got, ref)).toBeLessThan(1e-4);
      expect(maxAbsDiff(got, referenceLogits(cfg, weights, ids))).toBeGreaterThan(1e-2);
      model.dispose();
    }
  });

  it("applies dropout only in training, reproducibly for a dropout seed", () => {
    const model = new DecoderModel(cfg, toTensors(weights));
    model.applyLora({ ...lora, dropout: 0.5 });
    for (const c of model.components()) {
      const B = c.variables[1]!;
      B.assign(tf.fill(B.shape, 0.1));
    }
    const evalA = logitsOf(model);
    expect(maxAbsDiff(logitsOf(model), evalA)).toBe(0);
    const t1 = logitsOf(model, { training: true, dropoutSeed: 5 });
    const t2 = logitsOf(model, { training: true, dropoutSeed: 5 });
    const t3 = logitsOf(model, { training: true, dropoutSeed: 6 });
    expect(maxAbsDiff(t1, t2)).toBe(0);
    expect(maxAbsDiff(t1, t3)).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(t1, evalA)).toBeGreaterThan(1e-3);
    model.dispose();
  });

  it("full fine-tuning exposes each targeted weight as one trainable component", () => {
    const model = new DecoderModel(cfg, toTensors(weights));
    expect(model.components()).toEqual([]);
    model.enableFullFineTuning(["o_proj", "up_proj"]);
    const comps = model.components();
    expect(comps.map((c) => `${c.name}:${c.variables[0]!.shape}`)).toEqual([
      "model.layers.0.self_attn.o_proj:16,32",
      "model.layers.0.mlp.up_proj:24,16",
      "model.layers.1.self_attn.o_proj:16,32",
      "model.layers.1.mlp.up_proj:24,16",
    ]);
    expect(comps[0]!.variables[0]).toBe(model.namedWeights().get("model.layers.0.self_attn.o_proj.weight"));
    expect(comps[0]!.variables[0]!.trainable).toBe(true);
    // Every other weight trains too, outside the components: untargeted projections, norms, embeddings.
    const untracked = model.untrackedWeights();
    expect(untracked.get("model.layers.0.self_attn.q_proj.weight")!.trainable).toBe(true);
    expect(untracked.has("model.embed_tokens.weight")).toBe(true);
    expect(untracked.has("model.layers.0.self_attn.o_proj.weight")).toBe(false);
    expect(untracked.size + comps.length).toBe(model.namedWeights().size);
    expect(() => model.applyLora(lora)).toThrow(/already set up for full training/);
    model.dispose();
  });

  describe("loadPeftAdapter", () => {
    async function writeAdapter(
      name: string,
      mutate?: (t: Map<string, { shape: number[]; data: Float32Array }>) => void,
      config: Record<string, unknown> = {},
    ) {
      const adir = join(dir, name);
      await import("node:fs/promises").then((fs) => fs.mkdir(adir, { recursive: true }));
      const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
      const next = lcg(3);
      for (let l = 0; l < 2; l++) {
        for (const [block, proj, out, inp] of [
          ["self_attn", "k_proj", 16, 16],
          ["mlp", "gate_proj", 24, 16],
        ] as const) {
          const p = `base_model.model.model.layers.${l}.${block}.${proj}`;
          tensors.set(`${p}.lora_A.weight`, {
            shape: [2, inp],
            data: Float32Array.from({ length: 2 * inp }, () => next() - 0.5),
          });
          tensors.set(`${p}.lora_B.weight`, {
            shape: [out, 2],
            data: Float32Array.from({ length: 2 * out }, () => next() - 0.5),
          });
        }
      }
      mutate?.(tensors);
      await writeSafetensors(join(adir, "adapter_model.safetensors"), tensors, {
        metadata: { format: "pt" },
      });
      await writeFile(
        join(adir, "adapter_config.json"),
        JSON.stringify({
          peft_type: "LORA",
          r: 2,
          lora_alpha: 3,
          lora_dropout: 0.05,
          target_modules: ["gate_proj", "k_proj"],
          bias: "none",
          fan_in_fan_out: false,
          ...config,
        }),
      );
      return { adir, tensors };
    }

    it("applies a PEFT adapter so the logits match the reference", async () => {
      const { adir, tensors } = await writeAdapter("ok");
      const model = new DecoderModel(cfg, toTensors(weights));
      const acfg = await loadPeftAdapter(model, adir);
      expect(acfg.target_modules).toEqual(["k_proj", "gate_proj"]);
      expect(model.lora).toMatchObject({
        r: 2,
        alpha: 3,
        dropout: 0.05,
        targetModules: ["k_proj", "gate_proj"],
      });
      const modules = new Map<string, { A: RefTensor; B: RefTensor }>();
      for (const c of model.components()) {
        const key = `base_model.model.${c.name}`;
        modules.set(c.name, {
          A: tensors.get(`${key}.lora_A.weight`)!,
          B: tensors.get(`${key}.lora_B.weight`)!,
        });
      }
      const ref = referenceLogits(cfg, weights, ids, undefined, { scaling: 1.5, modules });
      expect(maxAbsDiff(logitsOf(model), ref)).toBeLessThan(1e-4);
      model.dispose();
    });

    it("names a missing adapter tensor", async () => {
      const { adir } = await writeAdapter("missing", (t) =>
        t.delete("base_model.model.model.layers.1.mlp.gate_proj.lora_B.weight"),
      );
      const model = new DecoderModel(cfg, toTensors(weights));
      await expect(loadPeftAdapter(model, adir)).rejects.toThrow(
        /adapter tensor base_model\.model\.model\.layers\.1\.mlp\.gate_proj\.lora_B\.weight is missing/,
      );
      model.dispose();
    });

    it("names an adapter tensor with the wrong shape", async () => {
      const { adir } = await writeAdapter("shape", (t) =>
        t.set("base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight", {
          shape: [2, 8],
          data: new Float32Array(16),
        }),
      );
      const model = new DecoderModel(cfg, toTensors(weights));
      await expect(loadPeftAdapter(model, adir)).rejects.toThrow(
        /k_proj\.lora_A\.weight has shape \[2, 8\], expected \[2, 16\]/,
      );
      model.dispose();
    });

    it("names an unexpected adapter tensor and a bad config field", async () => {
      const { adir } = await writeAdapter("extra", (t) =>
        t.set("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", {
          shape: [2, 16],
          data: new Float32Array(32),
        }),
      );
      const model = new DecoderModel(cfg, toTensors(weights));
      await expect(loadPeftAdapter(model, adir)).rejects.toThrow(
        /unexpected adapter tensor .*q_proj\.lora_A\.weight/,
      );
      const { adir: bad } = await writeAdapter("badcfg", undefined, {
        target_modules: ["k_proj", "lm_head"],
      });
      await expect(loadPeftAdapter(model, bad)).rejects.toThrow(/target_modules: "lm_head" is not one of/);
      model.dispose();
    });
  });
});
