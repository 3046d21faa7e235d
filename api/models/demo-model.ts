// The built-in `demo-tiny` model, present in every deployment so a newcomer can run a job right away: a random
// tiny Qwen3-shaped model with the real Qwen3 tokenizer, made from a fixed seed, stored once under a fixed
// prefix. Idempotent: several instances starting at once end with one row and one set of objects.
import { createReadStream } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "../../common/logger.ts";
import type { Db } from "../../db/client.ts";
import { findModel, insertModel, SYSTEM_OWNER } from "../../db/models.ts";
import type { ObjectStorage } from "../../db/storage/types.ts";
import { initTinyModel } from "../../worker/engine/index.ts";

export const DEMO_MODEL_ID = "demo-tiny";
const DEMO_PREFIX = `models/${SYSTEM_OWNER}/${DEMO_MODEL_ID}/`;

export async function ensureDemoModel(
  deps: { db: Db; storage: ObjectStorage; logger: Logger },
  seed: number,
): Promise<void> {
  // As the system's own model: a tenant's model of the same name does not count.
  const existing = await findModel(deps.db, SYSTEM_OWNER, DEMO_MODEL_ID);
  if (existing && (await deps.storage.head(`${existing.storagePrefix}config.json`))) return;

  const dir = await mkdtemp(join(tmpdir(), "grades-demo-model-"));
  try {
    const config = await initTinyModel(dir, { preset: "qwen3-tiny", seed });
    // config.json last: its presence is what marks the folder complete (see the check above).
    const names = (await readdir(dir)).sort((a, b) =>
      a === "config.json" ? 1 : b === "config.json" ? -1 : a.localeCompare(b),
    );
    for (const name of names) {
      await deps.storage.put(`${DEMO_PREFIX}${name}`, createReadStream(join(dir, name)), {
        contentType: name.endsWith(".json") ? "application/json" : "application/octet-stream",
      });
    }
    await insertModel(deps.db, {
      name: DEMO_MODEL_ID,
      owner: SYSTEM_OWNER,
      kind: "base",
      modelType: config.model_type,
      storagePrefix: DEMO_PREFIX,
      config: config as unknown as Record<string, unknown>,
      source: { type: "builtin", preset: "qwen3-tiny", seed },
    });
    deps.logger.info({ model: DEMO_MODEL_ID, prefix: DEMO_PREFIX }, "built-in demo model ready");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
