// A small llama-shaped Hugging Face folder with its weights in two shards and a small word-level tokenizer.
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { readSafetensors, writeSafetensors } from "../../../../worker/engine/io/safetensors.ts";
import { initTinyModel } from "../../../../worker/engine/model/init.ts";
import { writeWordTokenizer } from "./word-tokenizer.ts";

export const SHARDS = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"] as const;

/** The shard the index names for a tensor stored in `shard` (the same, unless a test wants them to disagree). */
export type ShardChoice = (name: string, shard: string) => string;

export const otherShard = (shard: string): string => (shard === SHARDS[0] ? SHARDS[1] : SHARDS[0]);

/** Tensors alternate between the two shards; model.safetensors.index.json lists them as `list` says. */
export async function writeShardedFolder(dir: string, list: ShardChoice = (_, s) => s): Promise<string> {
  await initTinyModel(dir, {
    preset: "llama-tiny",
    seed: 2,
    withTokenizer: false,
    overrides: { vocab_size: 64 },
  });
  await writeWordTokenizer(dir);
  const tensors = await readSafetensors(join(dir, "model.safetensors"));
  await rm(join(dir, "model.safetensors"));
  const parts = SHARDS.map(() => new Map<string, { shape: number[]; data: Float32Array }>());
  const weightMap: Record<string, string> = {};
  [...tensors].forEach(([name, t], i) => {
    parts[i % 2]!.set(name, t);
    weightMap[name] = list(name, SHARDS[i % 2]!);
  });
  for (const [i, shard] of SHARDS.entries()) await writeSafetensors(join(dir, shard), parts[i]!);
  await writeFile(join(dir, "model.safetensors.index.json"), JSON.stringify({ weight_map: weightMap }));
  return dir;
}
