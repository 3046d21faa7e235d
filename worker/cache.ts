// The worker's local cache of inputs, reused across jobs: base models by storage prefix, datasets by file id
// (both immutable once stored). A download lands in a temporary folder and is renamed into place, so a cached
// entry is always complete, even when two workers on one machine fetch the same thing at once.
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { ObjectStorage } from "../db/storage/types.ts";
import { pathExists } from "./engine/io/path-exists.ts";

/** Downloads every object under `prefix` into `dir` (keys relative to the prefix become relative paths). */
export async function downloadPrefix(storage: ObjectStorage, prefix: string, dir: string): Promise<number> {
  const objects = await storage.list(prefix);
  for (const o of objects) {
    const path = join(dir, o.key.slice(prefix.length));
    await mkdir(dirname(path), { recursive: true });
    await pipeline(await storage.get(o.key), createWriteStream(path));
  }
  return objects.length;
}

async function intoPlace(final: string, fill: (tmp: string) => Promise<void>): Promise<string> {
  if (await pathExists(final)) return final;
  const tmp = `${final}.tmp-${randomBytes(4).toString("hex")}`;
  await mkdir(dirname(final), { recursive: true });
  try {
    await fill(tmp);
    await rename(tmp, final).catch(async (err) => {
      // Another worker finished the same download first: keep theirs.
      if (!(await pathExists(final))) throw err;
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return final;
}

export class InputCache {
  constructor(
    private readonly root: string,
    private readonly storage: ObjectStorage,
  ) {}

  /** A local copy of the model folder stored under `prefix`. */
  async model(prefix: string): Promise<string> {
    const name = createHash("sha256").update(prefix).digest("hex").slice(0, 24);
    return intoPlace(join(this.root, "models", name), async (tmp) => {
      const n = await downloadPrefix(this.storage, prefix, tmp);
      if (n === 0) throw new Error(`model folder ${prefix} is empty in storage`);
    });
  }

  /** A local copy of a stored file (a dataset). */
  async file(fileId: string, storageKey: string): Promise<string> {
    return intoPlace(join(this.root, "files", `${fileId}.jsonl`), async (tmp) => {
      await pipeline(await this.storage.get(storageKey), createWriteStream(tmp));
    });
  }
}
