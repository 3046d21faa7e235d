// Checks that a folder is a Hugging Face model this service can fine-tune, before it is accepted: config.json
// parses and names a supported architecture, the weights (single file or shards) hold every tensor the config
// implies with the right shape, and the tokenizer files are there. Reads safetensors headers only.
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { readSafetensorsHeader } from "../../worker/engine/io/safetensors.ts";
import { type DecoderConfig, ModelConfigError, readModelConfig } from "../../worker/engine/model/config.ts";
import { expectedWeights } from "../../worker/engine/model/weights.ts";

export class ModelFolderError extends Error {
  constructor(
    message: string,
    /** The file or config field at fault. */
    readonly where: string,
  ) {
    super(message);
    this.name = "ModelFolderError";
  }
}

/** Files a model folder may hold; anything else is ignored when copying. */
export const MODEL_FILE_PATTERN =
  /^(config\.json|generation_config\.json|tokenizer\.json|tokenizer_config\.json|special_tokens_map\.json|vocab\.json|merges\.txt|model\.safetensors\.index\.json|[\w.-]+\.safetensors)$/;

const IGNORED_TENSOR = /\.rotary_emb\.inv_freq$/;

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

async function readJson(dir: string, name: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(join(dir, name), "utf8"));
  } catch (err) {
    throw new ModelFolderError(`${name} is not valid JSON (${(err as Error).message})`, name);
  }
}

/** Tensor name → [file, shape] from the safetensors headers. */
async function weightShapes(dir: string): Promise<Map<string, number[]>> {
  const shapes = new Map<string, number[]>();
  const readHeader = async (file: string) => {
    try {
      return await readSafetensorsHeader(join(dir, file));
    } catch (err) {
      throw new ModelFolderError(`${file} is not a valid safetensors file (${(err as Error).message})`, file);
    }
  };
  if (await exists(join(dir, "model.safetensors.index.json"))) {
    const index = (await readJson(dir, "model.safetensors.index.json")) as {
      weight_map?: Record<string, unknown>;
    };
    if (!index || typeof index.weight_map !== "object" || index.weight_map === null) {
      throw new ModelFolderError(
        "model.safetensors.index.json has no weight_map",
        "model.safetensors.index.json",
      );
    }
    const shards = new Set(Object.values(index.weight_map).map(String));
    for (const shard of shards) {
      if (!MODEL_FILE_PATTERN.test(shard) || !(await exists(join(dir, shard)))) {
        throw new ModelFolderError(`shard ${shard} listed in model.safetensors.index.json is missing`, shard);
      }
      for (const [name, e] of (await readHeader(shard)).tensors) shapes.set(name, e.shape);
    }
    return shapes;
  }
  if (!(await exists(join(dir, "model.safetensors")))) {
    throw new ModelFolderError(
      "no weights: expected model.safetensors or model.safetensors.index.json with its shards",
      "model.safetensors",
    );
  }
  for (const [name, e] of (await readHeader("model.safetensors")).tensors) shapes.set(name, e.shape);
  return shapes;
}

export async function validateModelFolder(dir: string): Promise<DecoderConfig> {
  if (!(await exists(join(dir, "config.json"))))
    throw new ModelFolderError("config.json is missing", "config.json");
  let config: DecoderConfig;
  try {
    config = await readModelConfig(dir);
  } catch (err) {
    if (err instanceof ModelConfigError) throw new ModelFolderError(err.message, `config.json: ${err.field}`);
    throw err;
  }
  for (const name of ["tokenizer.json", "tokenizer_config.json"]) {
    if (!(await exists(join(dir, name)))) throw new ModelFolderError(`${name} is missing`, name);
    await readJson(dir, name);
  }
  const shapes = await weightShapes(dir);
  const expected = expectedWeights(config);
  for (const w of expected) {
    const shape = shapes.get(w.name);
    if (!shape)
      throw new ModelFolderError(`missing weight ${w.name} (expected shape [${w.shape.join(", ")}])`, w.name);
    if (shape.join(",") !== w.shape.join(",")) {
      throw new ModelFolderError(
        `weight ${w.name} has shape [${shape.join(", ")}], expected [${w.shape.join(", ")}] from config.json`,
        w.name,
      );
    }
  }
  const known = new Set(expected.map((w) => w.name));
  for (const name of shapes.keys()) {
    if (known.has(name) || IGNORED_TENSOR.test(name)) continue;
    if (name === "lm_head.weight" && config.tie_word_embeddings) continue;
    throw new ModelFolderError(
      `unexpected weight ${name} for a ${config.model_type} model with this config`,
      name,
    );
  }
  return config;
}
