// A small llama-shaped Hugging Face folder to register as a model; the service's validation reads the tokenizer
// files as JSON only, so stand-ins keep it small.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { initTinyModel } from "../../../worker/engine/index.ts";

export async function writeModelFolder(dir: string): Promise<void> {
  await initTinyModel(dir, {
    preset: "llama-tiny",
    seed: 7,
    withTokenizer: false,
    overrides: { vocab_size: 300 },
  });
  await writeFile(join(dir, "tokenizer.json"), JSON.stringify({ version: "1.0", model: { type: "BPE" } }));
  await writeFile(join(dir, "tokenizer_config.json"), JSON.stringify({ model_max_length: 4096 }));
}
