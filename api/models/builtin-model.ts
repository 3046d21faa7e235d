// The built-in base model, present in every deployment so a newcomer can run a job right away: the small English
// model pretrained by this project and committed under models/ (see its model card), stored once under a fixed
// prefix and registered under its own name and under `demo-tiny`, the name the first built-in model had, so
// existing clients and docs keep working. Idempotent: several instances starting at once end with the same two
// rows and one set of objects.
import { createReadStream } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { and, eq, inArray } from "drizzle-orm";
import type { Logger } from "../../common/logger.ts";
import type { Db } from "../../db/client.ts";
import { insertModel } from "../../db/models.ts";
import { models, SYSTEM_OWNER } from "../../db/schema/models.ts";
import type { ObjectStorage } from "../../db/storage/types.ts";
import { BUILTIN_MODEL_ALIAS, BUILTIN_MODEL_DIR, BUILTIN_MODEL_NAME } from "../../models/builtin.ts";

export { BUILTIN_MODEL_ALIAS, BUILTIN_MODEL_NAME };

/** Where the built-in model's files are stored (both rows point here). */
export const BUILTIN_MODEL_PREFIX = `models/${SYSTEM_OWNER}/${BUILTIN_MODEL_NAME}/`;

export async function ensureBuiltinModels(
  deps: { db: Db; storage: ObjectStorage; logger: Logger },
  dir: string = BUILTIN_MODEL_DIR,
): Promise<void> {
  const names = [BUILTIN_MODEL_NAME, BUILTIN_MODEL_ALIAS];
  const existing = await deps.db
    .select()
    .from(models)
    .where(and(eq(models.owner, SYSTEM_OWNER), inArray(models.name, names)));
  if (existing.length === names.length && (await deps.storage.head(`${BUILTIN_MODEL_PREFIX}config.json`)))
    return;

  // config.json last: its presence is what marks the folder complete (see the check above).
  const files = (await readdir(dir)).sort((a, b) =>
    a === "config.json" ? 1 : b === "config.json" ? -1 : a.localeCompare(b),
  );
  for (const name of files) {
    await deps.storage.put(`${BUILTIN_MODEL_PREFIX}${name}`, createReadStream(join(dir, name)), {
      contentType: name.endsWith(".json") ? "application/json" : "application/octet-stream",
    });
  }
  const config = JSON.parse(await readFile(join(dir, "config.json"), "utf8")) as Record<string, unknown>;
  for (const name of names) {
    await insertModel(deps.db, {
      name,
      owner: SYSTEM_OWNER,
      kind: "base",
      modelType: String(config.model_type),
      storagePrefix: BUILTIN_MODEL_PREFIX,
      config,
      source:
        name === BUILTIN_MODEL_NAME ? { type: "builtin" } : { type: "builtin", alias_of: BUILTIN_MODEL_NAME },
    });
  }
  deps.logger.info(
    { model: BUILTIN_MODEL_NAME, alias: BUILTIN_MODEL_ALIAS, prefix: BUILTIN_MODEL_PREFIX },
    "built-in model ready",
  );
}
