// Loads a Hugging Face model folder: config.json plus model.safetensors or a sharded
// model.safetensors.index.json. Every expected weight must be present with its shape; a missing, misshapen or
// unexpected tensor is reported by name before any weight is uploaded.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { pathExists } from "../io/path-exists.ts";
import { readSafetensors, type SafetensorsTensor } from "../io/safetensors.ts";
import { DecoderModel } from "./causal-lm.ts";
import { type DecoderConfig, readModelConfig } from "./config.ts";
import { expectedWeights } from "./weights.ts";

export class ModelLoadError extends Error {
  override name = "ModelLoadError";
  constructor(
    message: string,
    /** The offending tensor name or file, when there is one. */
    readonly key?: string,
  ) {
    super(message);
  }
}

/** Tensors stored by some checkpoints that the decoder recomputes (rotary inverse frequencies). */
const IGNORED = /\.rotary_emb\.inv_freq$/;

/** Reads all weight tensors of a folder (single file or shards) as float32. */
export async function readModelTensors(dir: string): Promise<Map<string, SafetensorsTensor>> {
  const indexPath = join(dir, "model.safetensors.index.json");
  if (await pathExists(indexPath)) {
    let index: { weight_map?: Record<string, string> };
    try {
      index = JSON.parse(await readFile(indexPath, "utf8"));
    } catch (err) {
      throw new ModelLoadError(`model.safetensors.index.json is not valid JSON (${(err as Error).message})`);
    }
    const weightMap = index.weight_map;
    if (!weightMap || typeof weightMap !== "object") {
      throw new ModelLoadError("model.safetensors.index.json has no weight_map", "weight_map");
    }
    const byFile = new Map<string, string[]>();
    for (const [name, file] of Object.entries(weightMap)) {
      if (typeof file !== "string" || file.includes("/") || file.includes("\\")) {
        throw new ModelLoadError(`weight_map entry for ${name} is not a file name in the folder`, name);
      }
      byFile.set(file, [...(byFile.get(file) ?? []), name]);
    }
    const out = new Map<string, SafetensorsTensor>();
    for (const [file, names] of byFile) {
      if (!(await pathExists(join(dir, file)))) {
        throw new ModelLoadError(`shard ${file} listed in model.safetensors.index.json is missing`, file);
      }
      const tensors = await readSafetensors(join(dir, file));
      for (const name of names) {
        const t = tensors.get(name);
        if (!t)
          throw new ModelLoadError(`weight ${name} is listed for shard ${file} but not stored in it`, name);
        out.set(name, t);
      }
    }
    return out;
  }
  const single = join(dir, "model.safetensors");
  if (!(await pathExists(single))) {
    throw new ModelLoadError(
      "the model folder has neither model.safetensors nor model.safetensors.index.json",
    );
  }
  return readSafetensors(single);
}

/** Checks names and shapes against the config; returns the tensors the decoder uses. */
export function checkModelTensors(
  cfg: DecoderConfig,
  tensors: Map<string, SafetensorsTensor>,
): Map<string, SafetensorsTensor> {
  const expected = expectedWeights(cfg);
  const used = new Map<string, SafetensorsTensor>();
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
