import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { initBackend } from "../../../../worker/engine/backend.ts";
import { registerModelCommands } from "../../../../worker/engine/cli/model-commands.ts";
import { generateIds, pickToken } from "../../../../worker/engine/model/generate.ts";
import { QWEN3_TOKENIZER_SIZE } from "../../../../worker/engine/model/init.ts";
import { loadModel } from "../../../../worker/engine/model/loader.ts";
import { makeTempDir } from "../support/tmp-dir.ts";

async function runCli(args: string[]): Promise<string> {
  const program = new Command("grades").exitOverride();
  registerModelCommands(program);
  const lines: string[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => {
    lines.push(a.join(" "));
  });
  try {
    await program.parseAsync(["node", "grades", ...args]);
  } finally {
    spy.mockRestore();
  }
  return lines.join("\n");
}

describe("model CLI and generation", () => {
  let root: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    await initBackend("wasm");
    ({ dir: root, cleanup } = await makeTempDir());
  });
  afterAll(() => cleanup());

  it("init-model writes the qwen3-tiny demo model with the Qwen3 tokenizer, which loads and runs", async () => {
    const out = join(root, "demo");
    const printed = JSON.parse(await runCli(["init-model", "--out", out, "--seed", "1"]));
    expect(printed.model_type).toBe("qwen3");
    const cfg = JSON.parse(await readFile(join(out, "config.json"), "utf8"));
    expect(cfg).toMatchObject({
      architectures: ["Qwen3ForCausalLM"],
      vocab_size: QWEN3_TOKENIZER_SIZE,
      hidden_size: 64,
      num_hidden_layers: 2,
      num_key_value_heads: 2,
      head_dim: 16,
      tie_word_embeddings: true,
    });
    const info = JSON.parse(await runCli(["inspect", out]));
    expect(info.kind).toBe("model");
    expect(info.tokenizer).toBe(true);
    expect(info.chat_template).toBe(true);
    // embed (tied) + per layer: q,k,v,o, 3 MLP, 2 norms, q/k norms; + final norm.
    const perLayer = 64 * 64 + 2 * 32 * 64 + 64 * 64 + 3 * 64 * 128 + 2 * 64 + 2 * 16;
    expect(info.parameters).toBe(QWEN3_TOKENIZER_SIZE * 64 + 2 * perLayer + 64);
    expect(info.shapes["model.layers.0.self_attn.k_proj.weight"]).toEqual([32, 64]);

    const model = await loadModel(out);
    const ids = [9707, 1879, 11, 1246];
    const newIds = generateIds(model, ids, { maxNewTokens: 3, temperature: 0 });
    // Greedy generation agrees with the argmax of a full forward pass at each step.
    const seq = [...ids];
    for (const id of newIds) {
      const argmax = tf.tidy(() => {
        const logits = model.forward(tf.tensor2d([seq], undefined, "int32")); // [1, T, V]
        return tf
          .argMax(tf.reshape(tf.slice(logits, [0, seq.length - 1, 0], [1, 1, -1]), [-1]))
          .dataSync()[0];
      });
      expect(id).toBe(argmax);
      seq.push(id);
    }
    model.dispose();
    const text = await runCli([
      "generate",
      "--model",
      out,
      "--prompt",
      "Hi",
      "--chat",
      "--max-new-tokens",
      "2",
    ]);
    expect(typeof text).toBe("string");
  });

  it("inspect summarises a LoRA adapter folder", async () => {
    const adir = join(root, "adapter");
    const { mkdir, writeFile } = await import("node:fs/promises");
    const { writeSafetensors } = await import("../../../../worker/engine/io/safetensors.ts");
    await mkdir(adir);
    await writeFile(
      join(adir, "adapter_config.json"),
      JSON.stringify({
        peft_type: "LORA",
        r: 8,
        lora_alpha: 16,
        target_modules: ["q_proj", "v_proj"],
        use_rslora: true,
      }),
    );
    await writeSafetensors(join(adir, "adapter_model.safetensors"), {
      "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight": {
        shape: [8, 64],
        data: new Float32Array(512),
      },
      "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight": {
        shape: [64, 8],
        data: new Float32Array(512),
      },
    });
    const info = JSON.parse(await runCli(["inspect", adir]));
    expect(info).toMatchObject({
      kind: "lora_adapter",
      r: 8,
      lora_alpha: 16,
      use_rslora: true,
      target_modules: ["q_proj", "v_proj"],
      parameters: 1024,
      layers: 1,
    });
    expect(info.scaling).toBeCloseTo(16 / Math.sqrt(8), 10);
  });

  it("samples reproducibly for a seed, greedily at temperature 0, and within top-p", () => {
    const logits = new Float32Array([0, 3, 1, 2.9]);
    expect(pickToken(logits, 0, 1, () => 0.5)).toBe(1);
    const draw = (seed: number) => {
      let s = seed;
      const next = () => {
        s = (s * 16807) % 2147483647;
        return s / 2147483647;
      };
      return Array.from({ length: 200 }, () => pickToken(logits, 1, 0.6, next));
    };
    expect(draw(7)).toEqual(draw(7));
    // top-p 0.6 keeps only tokens 1 and 3 (p ≈ 0.45 and 0.41).
    expect(new Set(draw(7))).toEqual(new Set([1, 3]));
  });
});
