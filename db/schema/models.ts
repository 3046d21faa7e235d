// Models a tenant can fine-tune from or has produced: built-in ones (owner "system", e.g. demo-tiny), base models
// a tenant registered, and fine-tuned ones the worker writes. A model's files are Hugging Face files under
// `storage_prefix` in object storage.
import { index, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

export const MODEL_KINDS = ["base", "fine_tuned"] as const;

/** Owner of the models every tenant sees. */
export const SYSTEM_OWNER = "system";

export const models = pgTable(
  "models",
  {
    /** Internal row id `mdl_…`; the API's model id is `name`. */
    id: text("id").primaryKey(),
    /** The model id seen through the API (`demo-tiny`, `ft:demo-tiny:acme:suffix:abc`). */
    name: text("name").notNull(),
    /** `system` or a tenant id. Not a foreign key because of `system`; tenant deletion removes models in code. */
    owner: text("owner").notNull(),
    /** `base` or `fine_tuned`. */
    kind: text("kind", { enum: MODEL_KINDS }).notNull(),
    /** Hugging Face model_type: qwen2, qwen3, llama, mistral. */
    modelType: text("model_type").notNull(),
    /** Storage prefix of the folder (ends with `/`): config.json, weights, tokenizer files. */
    storagePrefix: text("storage_prefix").notNull(),
    /** The parsed config.json. */
    config: jsonb("config").$type<Record<string, unknown>>().notNull(),
    /** Where the files came from: `{type: "files", file_ids}`, `{type: "s3", uri}`, `{type: "builtin", fingerprint}`, `{type: "job", job_id}`. */
    source: jsonb("source").$type<Record<string, unknown>>().notNull(),
    /** For fine-tuned models: the base model's name. */
    parent: text("parent"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("models_owner_name_idx").on(t.owner, t.name), index("models_name_idx").on(t.name)],
);

export type ModelRow = typeof models.$inferSelect;
