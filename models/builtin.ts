// The built-in base model shipped in this folder (built by `npm run build:base-model`) and the older name that
// stays an alias of it.
import { fileURLToPath } from "node:url";

export const BUILTIN_MODEL_NAME = "tiny-english-2m";
/** The first built-in model's name: clients and docs that use it get the built-in model. */
export const BUILTIN_MODEL_ALIAS = "demo-tiny";
export const BUILTIN_MODEL_DIR = fileURLToPath(new URL(`./${BUILTIN_MODEL_NAME}/`, import.meta.url));
