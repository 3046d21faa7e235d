// The model-folder check the service runs at registration is the loader's own: a folder passes it exactly when
// loadModel would load it, including for sharded weights (each tensor must be in the shard the index names).
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../../worker/engine/backend.ts";
import { checkModelFolder, ModelFolderError, ModelLoadError } from "../../../../worker/engine/index.ts";
import { loadModel } from "../../../../worker/engine/model/loader.ts";
import { otherShard, type ShardChoice, writeShardedFolder } from "../support/sharded-folder.ts";
import { makeTempDir } from "../support/tmp-dir.ts";

let root: string;
let cleanup: () => Promise<void>;
let n = 0;
beforeAll(async () => {
  await initBackend("cpu");
  ({ dir: root, cleanup } = await makeTempDir("grades-check-folder-"));
});
afterAll(() => cleanup());

const shardedFolder = (list?: ShardChoice) => writeShardedFolder(join(root, `m${n++}`), list);

describe("checkModelFolder", () => {
  it("accepts a sharded folder that loads", async () => {
    const dir = await shardedFolder();
    expect((await checkModelFolder(dir)).model_type).toBe("llama");
    (await loadModel(dir)).dispose();
  });

  it("rejects, as loading does, a folder whose index names the wrong shard for a tensor", async () => {
    const moved = "model.norm.weight";
    const dir = await shardedFolder((name, shard) => (name === moved ? otherShard(shard) : shard));
    await expect(loadModel(dir)).rejects.toBeInstanceOf(ModelLoadError);
    const err = await checkModelFolder(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelFolderError);
    expect((err as ModelFolderError).where).toBe(moved);
    expect((err as Error).message).toMatch(
      /is listed for shard model-0000\d-of-00002\.safetensors but not stored in it/,
    );
  });

  it("rejects a tokenizer that would not load for training, and names files without the folder's path", async () => {
    const dir = await shardedFolder();
    await writeFile(join(dir, "tokenizer.json"), JSON.stringify({ version: "1.0", model: { type: "BPE" } }));
    const err = (await checkModelFolder(dir).catch((e: unknown) => e)) as ModelFolderError;
    expect(err).toBeInstanceOf(ModelFolderError);
    expect(err.where).toBe("tokenizer.json");
    await writeFile(join(dir, "model-00001-of-00002.safetensors"), "not safetensors");
    const broken = (await checkModelFolder(dir).catch((e: unknown) => e)) as ModelFolderError;
    expect(broken.where).toBe("model-00001-of-00002.safetensors");
    expect(broken.message).not.toContain(root);
  });

  it("names a required file that is missing", async () => {
    const dir = join(root, "empty");
    await mkdir(dir);
    const err = (await checkModelFolder(dir).catch((e: unknown) => e)) as ModelFolderError;
    expect([err.where, err.message]).toEqual(["config.json", "config.json is missing"]);
  });
});
