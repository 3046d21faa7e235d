// Writes a fully fine-tuned model as a Hugging Face folder: the base folder's config.json (float32 now),
// model.safetensors with every weight, and the tokenizer and generation files copied unchanged.
import { access, copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeSafetensors } from "../io/safetensors.ts";
import type { CausalLM } from "../model/types.ts";

const COPIED_FILES = [
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "generation_config.json",
  "vocab.json",
  "merges.txt",
  "tokenizer.model",
  "added_tokens.json",
];

export async function writeHfModel(dir: string, model: CausalLM, baseDir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const config = JSON.parse(await readFile(join(baseDir, "config.json"), "utf8")) as Record<string, unknown>;
  config.torch_dtype = "float32";
  await writeFile(join(dir, "config.json"), `${JSON.stringify(config, null, 2)}\n`);
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, t] of model.namedWeights()) {
    tensors.set(name, { shape: [...t.shape], data: (await t.data()) as Float32Array });
  }
  await writeSafetensors(join(dir, "model.safetensors"), tensors, { metadata: { format: "pt" } });
  for (const file of COPIED_FILES) {
    try {
      await access(join(baseDir, file));
    } catch {
      continue;
    }
    await copyFile(join(baseDir, file), join(dir, file));
  }
}
