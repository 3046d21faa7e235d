// A fresh random initialisation of the model a config.json describes (as transformers' from_config does), with
// the tokenizer files of the same folder copied beside it: the starting point of pretraining.
import { access, copyFile, readFile } from "node:fs/promises";
import { join } from "node:path";
import { initTinyModel } from "./init.ts";
import type { ModelConfig } from "./types.ts";

const TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "generation_config.json"];

export async function initModelFromConfig(
  srcDir: string,
  outDir: string,
  seed: number,
): Promise<ModelConfig> {
  const raw = JSON.parse(await readFile(join(srcDir, "config.json"), "utf8")) as Partial<ModelConfig>;
  const config = await initTinyModel(outDir, {
    preset: "qwen3-tiny",
    seed,
    overrides: raw,
    withTokenizer: false,
  });
  for (const f of TOKENIZER_FILES) {
    try {
      await access(join(srcDir, f));
    } catch {
      continue;
    }
    await copyFile(join(srcDir, f), join(outDir, f));
  }
  // initTinyModel wrote a generation_config.json from config.json; a copied one replaces it.
  return config;
}
