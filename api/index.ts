// The API's public surface for entry points (infra/) and benchmarks: the app factory, what it is built from, and
// the built-in demo model every deployment starts with.
export { API_VERSION, type App, createApp } from "./app.ts";
export type { AppDeps } from "./env.ts";
export { ApiError } from "./errors.ts";
export { BUILTIN_MODEL_ALIAS, BUILTIN_MODEL_NAME, ensureBuiltinModels } from "./models/builtin-model.ts";
