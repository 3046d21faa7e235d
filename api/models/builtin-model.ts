// The built-in base model, present in every deployment so a newcomer can run a job right away: the small English
// model pretrained by this project and committed under models/ (see its model card), registered under its own
// name and under `demo-tiny`, the name the first built-in model had, so existing clients and docs keep working.
// The rows and objects follow the shipped files: a release that ships a different model (or a different
// config.json, e.g. new training defaults) refreshes both rows in place on start. Idempotent: several instances
// starting at once end with the same two rows and one set of objects.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { and, eq, inArray } from "drizzle-orm";
import type { Logger } from "../../common/logger.ts";
import type { Db } from "../../db/client.ts";
import { upsertModel } from "../../db/models.ts";
import { models, SYSTEM_OWNER } from "../../db/schema/models.ts";
import type { ObjectStorage } from "../../db/storage/types.ts";
import { BUILTIN_MODEL_ALIAS, BUILTIN_MODEL_DIR, BUILTIN_MODEL_NAME } from "../../models/builtin.ts";

export { BUILTIN_MODEL_ALIAS, BUILTIN_MODEL_NAME };

const fingerprints = new Map<string, Promise<string>>();

/**
 * sha256 over the names and bytes of the files in `dir` (the shipped model), computed once per process. The rows
 * record it and the stored copy is named by it, so a changed model is told apart without comparing objects.
 */
export function builtinModelFingerprint(dir: string = BUILTIN_MODEL_DIR): Promise<string> {
  let fingerprint = fingerprints.get(dir);
  if (!fingerprint) {
    fingerprint = (async () => {
      const hash = createHash("sha256");
      for (const name of (await readdir(dir)).sort()) {
        const bytes = await readFile(join(dir, name));
        // Each name and size before its bytes, so no two different folders feed the hash the same stream.
        hash.update(`${name.length}:${name}:${bytes.length}:`).update(bytes);
      }
      return hash.digest("hex");
    })();
    fingerprints.set(dir, fingerprint);
  }
  return fingerprint;
}

/**
 * Where one version of the built-in model is stored (both rows point here). A new prefix per version, never the
 * same keys overwritten: workers cache base models by prefix as immutable, and a job downloading the old version
 * while the new one is stored would otherwise get a mix.
 */
export function builtinModelPrefix(fingerprint: string): string {
  return `models/${SYSTEM_OWNER}/${BUILTIN_MODEL_NAME}-${fingerprint.slice(0, 16)}/`;
}

export async function ensureBuiltinModels(
  deps: { db: Db; storage: ObjectStorage; logger: Logger },
  dir: string = BUILTIN_MODEL_DIR,
): Promise<void> {
  const names = [BUILTIN_MODEL_NAME, BUILTIN_MODEL_ALIAS];
  const fingerprint = await builtinModelFingerprint(dir);
  const prefix = builtinModelPrefix(fingerprint);
  const existing = await deps.db
    .select()
    .from(models)
    .where(and(eq(models.owner, SYSTEM_OWNER), inArray(models.name, names)));
  const current = existing.filter((r) => r.storagePrefix === prefix && r.source.fingerprint === fingerprint);
  // config.json is stored last: its presence marks the version's folder complete.
  const stored = await deps.storage.head(`${prefix}config.json`);
  if (current.length === names.length && stored) return;

  if (!stored) {
    const files = (await readdir(dir)).sort((a, b) =>
      a === "config.json" ? 1 : b === "config.json" ? -1 : a.localeCompare(b),
    );
    for (const name of files) {
      await deps.storage.put(`${prefix}${name}`, createReadStream(join(dir, name)), {
        contentType: name.endsWith(".json") ? "application/json" : "application/octet-stream",
      });
    }
  }
  const config = JSON.parse(await readFile(join(dir, "config.json"), "utf8")) as Record<string, unknown>;
  // In place (the rows keep their ids, which jobs refer to), both in one transaction, so the two names never
  // describe different versions even when instances of two releases start at once.
  await deps.db.transaction(async (tx) => {
    for (const name of names) {
      await upsertModel(tx, {
        name,
        owner: SYSTEM_OWNER,
        kind: "base",
        modelType: String(config.model_type),
        storagePrefix: prefix,
        config,
        source:
          name === BUILTIN_MODEL_NAME
            ? { type: "builtin", fingerprint }
            : { type: "builtin", fingerprint, alias_of: BUILTIN_MODEL_NAME },
      });
    }
  });
  // The previous version's objects stay: a job may still be downloading them.
  const previous = existing.find((r) => !current.includes(r))?.storagePrefix;
  deps.logger.info(
    { model: BUILTIN_MODEL_NAME, alias: BUILTIN_MODEL_ALIAS, prefix, fingerprint, previous },
    previous ? "built-in model refreshed from the shipped files" : "built-in model ready",
  );
}
