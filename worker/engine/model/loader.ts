// Loads a Hugging Face model folder: config.json plus model.safetensors or a sharded
// model.safetensors.index.json. Every expected weight must be present with its shape; a missing, misshapen or
// unexpected tensor is reported by name before any weight is uploaded.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { InputError } from "../errors.ts";
import { pathExists } from "../io/path-exists.ts";
import { readSafetensors, readSafetensorsHeader, type SafetensorsTensor } from "../io/safetensors.ts";
import { DecoderModel } from "./causal-lm.ts";
import { type DecoderConfig, readModelConfig } from "./config.ts";
import { expectedWeights, weightTally } from "./weights.ts";

export class ModelLoadError extends InputError {
  override name = "ModelLoadError";
  constructor(
    message: string,
    /** The offending tensor name or file, when there is one. */
    readonly key?: string,
  ) {
    super(message);
  }
}

/** A shard's file name: a safetensors file directly in the model folder. */
const SHARD_NAME = /^[\w.-]+\.safetensors$/;

/** Tensors stored by some checkpoints that the decoder recomputes (rotary inverse frequencies). */
const IGNORED = /\.rotary_emb\.inv_freq$/;

/** Which tensors to take from which file: every tensor of model.safetensors, or the index's weight_map. */
type WeightLayout = { file: string; names: string[] | null }[];

async function weightLayout(dir: string): Promise<WeightLayout> {
  const indexPath = join(dir, "model.safetensors.index.json");
  if (!(await pathExists(indexPath))) {
    if (!(await pathExists(join(dir, "model.safetensors")))) {
      throw new ModelLoadError(
        "the model folder has neither model.safetensors nor model.safetensors.index.json",
        "model.safetensors",
      );
    }
    return [{ file: "model.safetensors", names: null }];
  }
  let index: { weight_map?: Record<string, string> };
  try {
    index = JSON.parse(await readFile(indexPath, "utf8"));
  } catch (err) {
    throw new ModelLoadError(
      `model.safetensors.index.json is not valid JSON (${(err as Error).message})`,
      "model.safetensors.index.json",
    );
  }
  const weightMap = index?.weight_map;
  if (!weightMap || typeof weightMap !== "object") {
    throw new ModelLoadError(
      "model.safetensors.index.json has no weight_map",
      "model.safetensors.index.json",
    );
  }
  const byFile = new Map<string, string[]>();
  for (const [name, file] of Object.entries(weightMap)) {
    if (typeof file !== "string" || !SHARD_NAME.test(file)) {
      throw new ModelLoadError(`weight_map entry for ${name} is not a .safetensors file in the folder`, name);
    }
    byFile.set(file, [...(byFile.get(file) ?? []), name]);
  }
  for (const file of byFile.keys()) {
    if (!(await pathExists(join(dir, file)))) {
      throw new ModelLoadError(`shard ${file} listed in model.safetensors.index.json is missing`, file);
    }
  }
  return [...byFile].map(([file, names]) => ({ file, names }));
}

/** The tensors the layout takes from each file, read by `read` (whole tensors, or header entries only). */
async function readLayout<T>(
  dir: string,
  read: (path: string) => Promise<Map<string, T>>,
): Promise<Map<string, T>> {
  const out = new Map<string, T>();
  for (const { file, names } of await weightLayout(dir)) {
    const stored = await read(join(dir, file));
    for (const name of names ?? stored.keys()) {
      const t = stored.get(name);
      if (!t)
        throw new ModelLoadError(`weight ${name} is listed for shard ${file} but not stored in it`, name);
      out.set(name, t);
    }
  }
  return out;
}

/** Reads all weight tensors of a folder (single file or shards) as float32. */
export function readModelTensors(dir: string): Promise<Map<string, SafetensorsTensor>> {
  return readLayout(dir, readSafetensors);
}

/** The shapes of the weights loadModel would read, from the safetensors headers alone. */
export function readModelShapes(dir: string): Promise<Map<string, { shape: number[] }>> {
  return readLayout(dir, async (path) => (await readSafetensorsHeader(path)).tensors);
}

/** Checks names and shapes against the config; returns the tensors the decoder uses. */
export function checkModelTensors<T extends { shape: number[] }>(
  cfg: DecoderConfig,
  tensors: Map<string, T>,
): Map<string, T> {
  // The config's layer count against what the files hold, before listing the weights: a config claiming a
  // million layers would otherwise build a list of millions of names (seconds of CPU, gigabytes) to compare.
  // Within the margin the list is cheap, and names the first missing or misshapen tensor exactly.
  const tally = weightTally(cfg);
  if (tally.tensors > 2 * tensors.size + 64) {
    throw new ModelLoadError(
      `config.json implies ${tally.tensors} weight tensors (num_hidden_layers ${cfg.num_hidden_layers}), but the weights hold ${tensors.size}`,
      "config.json",
    );
  }
  const expected = expectedWeights(cfg);
  const used = new Map<string, T>();
  for (const e of expected) {
    const t = tensors.get(e.name);
    if (!t)
      throw new ModelLoadError(`missing weight ${e.name} (expected shape [${e.shape.join(", ")}])`, e.name);
    if (t.shape.join(",") !== e.shape.join(",")) {
      throw new ModelLoadError(
        `weight ${e.name} has shape [${t.shape.join(", ")}], expected [${e.shape.join(", ")}] from config.json`,
        e.name,
      );
    }
    used.set(e.name, t);
  }
  for (const name of tensors.keys()) {
    if (used.has(name) || IGNORED.test(name)) continue;
    // Tied checkpoints sometimes store lm_head anyway; transformers ignores it, so do we.
    if (name === "lm_head.weight" && cfg.tie_word_embeddings) continue;
    throw new ModelLoadError(
      `unexpected weight ${name} for a ${cfg.model_type} model with this config`,
      name,
    );
  }
  return used;
}

/** Loads a Hugging Face model folder into a DecoderModel on the active backend. */
export async function loadModel(dir: string): Promise<DecoderModel> {
  const cfg = await readModelConfig(dir);
  const used = checkModelTensors(cfg, await readModelTensors(dir));
  const tensors = new Map<string, tf.Tensor>();
  try {
    for (const [name, t] of used) {
      tensors.set(name, tf.tensor(t.data, t.shape, "float32"));
      // The backend holds its own copy now; let the host copy be collected.
      used.delete(name);
    }
    return new DecoderModel(cfg, tensors);
  } catch (err) {
    tf.dispose([...tensors.values()]);
    throw err;
  }
}
