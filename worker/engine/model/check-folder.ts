// Checks a Hugging Face model folder the way loading it for training would, without reading any weight data:
// config.json, the same weight layout and name/shape rules as loadModel (single file or shards), and the
// tokenizer when there is one. A folder that passes here loads there; the service checks uploads with it.
import { join } from "node:path";
import { InputError } from "../errors.ts";
import { pathExists } from "../io/path-exists.ts";
import { loadTokenizer } from "../tokenizer/tokenizer.ts";
import { type DecoderConfig, ModelConfigError, readModelConfig } from "./config.ts";
import { checkModelTensors, ModelLoadError, readModelShapes } from "./loader.ts";

/** Files a model folder may hold; anything else is left out when a folder is copied. */
export const MODEL_FILE_PATTERN =
  /^(config\.json|generation_config\.json|tokenizer\.json|tokenizer_config\.json|special_tokens_map\.json|vocab\.json|merges\.txt|model\.safetensors\.index\.json|[\w.-]+\.safetensors)$/;

/** Why a model folder cannot be used; `where` is the file, config field or tensor at fault. */
export class ModelFolderError extends InputError {
  override name = "ModelFolderError";
  constructor(
    message: string,
    readonly where: string,
  ) {
    super(message);
  }
}

export interface CheckModelFolderOptions {
  /** Files that must be present besides config.json and the weights (e.g. tokenizer.json). */
  require?: string[];
}

/** The config of a usable folder; a ModelFolderError naming the first problem otherwise. */
export async function checkModelFolder(
  dir: string,
  opts: CheckModelFolderOptions = {},
): Promise<DecoderConfig> {
  // Messages name files relative to the folder: it is often a temporary copy whose path means nothing to a user.
  const relative = (err: Error) => err.message.replaceAll(`${join(dir, "/")}`, "");
  for (const name of ["config.json", ...(opts.require ?? [])]) {
    if (!(await pathExists(join(dir, name)))) throw new ModelFolderError(`${name} is missing`, name);
  }
  let config: DecoderConfig;
  try {
    config = await readModelConfig(dir);
    checkModelTensors(config, await readModelShapes(dir));
    if (await pathExists(join(dir, "tokenizer.json"))) await loadTokenizer(dir);
  } catch (err) {
    if (err instanceof ModelConfigError) {
      const where = err.field === "(file)" ? "config.json" : `config.json: ${err.field}`;
      throw new ModelFolderError(relative(err), where);
    }
    if (err instanceof ModelLoadError)
      throw new ModelFolderError(relative(err), err.key ?? "model.safetensors");
    if (err instanceof InputError) {
      const file = /^[\w.-]+\.(json|safetensors)/.exec(relative(err))?.[0] ?? "tokenizer.json";
      throw new ModelFolderError(relative(err), file);
    }
    throw err;
  }
  return config;
}
