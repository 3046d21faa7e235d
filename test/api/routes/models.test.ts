import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { and, count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BUILTIN_MODEL_ALIAS,
  BUILTIN_MODEL_NAME,
  builtinModelFingerprint,
  builtinModelPrefix,
  ensureBuiltinModels,
} from "../../../api/models/builtin-model.ts";
import { silentLogger } from "../../../common/logger.ts";
import { insertModel } from "../../../db/models.ts";
import { models } from "../../../db/schema/models.ts";
import { S3Storage } from "../../../db/storage/s3.ts";
import type { ObjectStorage } from "../../../db/storage/types.ts";
import { BUILTIN_MODEL_DIR, BUILTIN_MODEL_TRAINING_DEFAULTS } from "../../../models/builtin.ts";
import { initTinyModel } from "../../../worker/engine/model/init.ts";
import { chatDataset, postJson, uploadDataset } from "../../e2e/helpers.ts";
import { createTestApp, multipart, type TestApp } from "../../support/app.ts";
import { startTestS3, type TestS3 } from "../../support/s3.ts";
import { otherShard, writeShardedFolder } from "../../worker/engine/support/sharded-folder.ts";
import { writeWordTokenizer } from "../../worker/engine/support/word-tokenizer.ts";

/** A small llama-shaped HF folder with a small word-level tokenizer. */
async function makeModelFolder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "grades-model-src-"));
  await initTinyModel(dir, {
    preset: "llama-tiny",
    seed: 7,
    withTokenizer: false,
    overrides: { vocab_size: 300 },
  });
  await writeWordTokenizer(dir);
  return dir;
}

async function uploadFolder(t: TestApp, dir: string, edit: Record<string, string | null> = {}) {
  const files: Record<string, string> = {};
  for (const name of await readdir(dir)) {
    if (edit[name] === null) continue;
    const content = edit[name] ?? (await readFile(join(dir, name)));
    const res = await t.request("/v1/files", {
      method: "POST",
      body: multipart({ name, content, type: "application/octet-stream" }, { purpose: "user_data" }),
    });
    expect(res.status).toBe(200);
    files[name] = (await res.json()).id;
  }
  return files;
}

const register = (t: TestApp, body: unknown, key?: string) =>
  t.request("/v1/models", {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });

describe("models API", () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    t = await createTestApp();
    dir = await makeModelFolder();
  });
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("registers the built-in model and its demo-tiny alias once, however often start-up runs", async () => {
    const deps = { db: t.db.db, storage: t.storage, logger: silentLogger() };
    await Promise.all([ensureBuiltinModels(deps), ensureBuiltinModels(deps)]);
    await ensureBuiltinModels(deps);
    const rows = await t.db.db.select({ n: count() }).from(models);
    expect(rows[0]!.n).toBe(2);
    const prefix = builtinModelPrefix(await builtinModelFingerprint());
    const keys = (await t.storage.list(prefix)).map((o) => o.key.split("/").pop());
    expect(keys).toEqual(
      expect.arrayContaining(["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]),
    );
    for (const id of [BUILTIN_MODEL_NAME, BUILTIN_MODEL_ALIAS]) {
      const res = await t.request(`/v1/models/${id}`);
      expect(await res.json()).toMatchObject({
        id,
        object: "model",
        owned_by: "system",
        kind: "base",
        model_type: "qwen3",
      });
    }
    expect(BUILTIN_MODEL_ALIAS).toBe("demo-tiny");
  });

  it("registers a base model from uploaded Hugging Face files", async () => {
    const files = await uploadFolder(t, dir);
    const res = await register(t, { id: "my-llama", source: { type: "files", files } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      id: "my-llama",
      object: "model",
      kind: "base",
      model_type: "llama",
      owned_by: "test-tenant",
    });
    const list = await (await t.request("/v1/models")).json();
    expect(list.data.map((m: { id: string }) => m.id)).toEqual(
      expect.arrayContaining(["demo-tiny", "my-llama"]),
    );
    // The one list shape of the API, every model in one page.
    expect(list).toMatchObject({ object: "list", has_more: false, first_id: list.data[0].id });
    const again = await register(t, { id: "my-llama", source: { type: "files", files } });
    expect(again.status).toBe(409);
    const demo = await register(t, { id: "demo-tiny", source: { type: "files", files } });
    expect(demo.status).toBe(409);
  });

  it("answers a registration retried with its Idempotency-Key with the first answer, not model_exists", async () => {
    const files = await uploadFolder(t, dir);
    const body = JSON.stringify({ id: "idem-llama", source: { type: "files", files } });
    const send = () =>
      t.request("/v1/models", {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": "register-idem-llama" },
        body,
      });
    const first = await send();
    expect(first.status).toBe(200);
    const stored = (await t.storage.list("models/")).length;
    const again = await send();
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.text()).toBe(await first.text());
    // Nothing was gathered or copied for the retry.
    expect((await t.storage.list("models/")).length).toBe(stored);
  });

  it("rejects a config with a bad field, naming it, and stores nothing", async () => {
    const config = JSON.parse(await readFile(join(dir, "config.json"), "utf8"));
    const before = (await t.storage.list("models/")).length;
    const files = await uploadFolder(t, dir, {
      "config.json": JSON.stringify({ ...config, num_attention_heads: -2 }),
    });
    const res = await register(t, { id: "bad-heads", source: { type: "files", files } });
    expect(res.status).toBe(422);
    const { error } = await res.json();
    expect(error.param).toContain("num_attention_heads");
    expect((await t.storage.list("models/")).length).toBe(before);
    expect((await t.request("/v1/models/bad-heads")).status).toBe(404);
  });

  it("rejects training defaults a job could not use, naming the field", async () => {
    const config = JSON.parse(await readFile(join(dir, "config.json"), "utf8"));
    const files = await uploadFolder(t, dir, {
      "config.json": JSON.stringify({ ...config, grades_finetune: { learning_rate_multiplier: 0 } }),
    });
    const res = await register(t, { id: "bad-defaults", source: { type: "files", files } });
    expect(res.status).toBe(422);
    const { error } = await res.json();
    expect(error).toMatchObject({ code: "invalid_model" });
    expect(error.param).toContain("grades_finetune.learning_rate_multiplier");
  });

  it("refuses a config whose sizes its weights cannot hold, naming the field and no server path", async () => {
    const config = JSON.parse(await readFile(join(dir, "config.json"), "utf8"));
    const cases: [Record<string, unknown>, string, string][] = [
      [{ num_hidden_layers: 1e6 }, "config.json: num_hidden_layers", "at most 1024"],
      [{ vocab_size: 1e12 }, "config.json: vocab_size", "at most"],
      // Within the bounds, but not what the weights hold: refused on the counts, before any list is built.
      [{ num_hidden_layers: 1000 }, "config.json", "implies"],
      [{ intermediate_size: 200_000 }, "model.layers.0.mlp.gate_proj.weight", "expected [200000"],
    ];
    for (const [edit, param, says] of cases) {
      const files = await uploadFolder(t, dir, { "config.json": JSON.stringify({ ...config, ...edit }) });
      const res = await register(t, { id: "too-big", source: { type: "files", files } });
      const { error } = await res.json();
      expect([edit, res.status, error.param]).toEqual([edit, 422, param]);
      expect(error.message).toContain(says);
      expect(error.message).not.toMatch(/\/tmp|grades-register|[A-Z]:\\/);
    }
    const broken = await uploadFolder(t, dir, { "config.json": "{not json" });
    const res = await register(t, { id: "broken", source: { type: "files", files: broken } });
    const { error } = await res.json();
    expect(res.status).toBe(422);
    expect(error.param).toBe("config.json");
    expect(error.message).not.toContain(tmpdir());
  });

  it("answers /health at once while a registration with a huge config is validated", async () => {
    const config = JSON.parse(await readFile(join(dir, "config.json"), "utf8"));
    const files = await uploadFolder(t, dir, {
      "config.json": JSON.stringify({ ...config, num_hidden_layers: 1e6 }),
    });
    const health = async () => {
      const started = performance.now();
      expect((await t.app.request("/health")).status).toBe(200);
      return performance.now() - started;
    };
    const baseline: number[] = [];
    for (let i = 0; i < 5; i++) baseline.push(await health());
    const typical = baseline.sort((a, b) => a - b)[2]!;

    const started = performance.now();
    let done = false;
    const registration = register(t, { id: "huge", source: { type: "files", files } }).finally(() => {
      done = true;
    });
    const during: number[] = [];
    while (!done) {
      during.push(await health());
      await new Promise((r) => setTimeout(r, 10));
    }
    expect((await registration).status).toBe(422);
    const elapsed = performance.now() - started;
    // Generous for a loaded 2-core machine: the list-building check held /health for 6-9 s.
    expect(Math.max(...during)).toBeLessThan(Math.max(1000, 20 * typical));
    expect(elapsed).toBeLessThan(5000);
  });

  it("rejects an unsupported architecture, missing tokenizer and mismatched weights", async () => {
    const config = JSON.parse(await readFile(join(dir, "config.json"), "utf8"));
    const cases: [Record<string, string | null>, string][] = [
      [{ "config.json": JSON.stringify({ ...config, model_type: "gpt2" }) }, "model_type"],
      [{ "tokenizer.json": null }, "tokenizer.json"],
      [{ "config.json": JSON.stringify({ ...config, hidden_size: 128 }) }, "model.embed_tokens.weight"],
      [{ "model.safetensors": "not a safetensors file" }, "model.safetensors"],
    ];
    for (const [edit, param] of cases) {
      const files = await uploadFolder(t, dir, edit);
      const res = await register(t, { id: "broken", source: { type: "files", files } });
      expect(res.status).toBe(422);
      expect((await res.json()).error.param).toContain(param);
    }
  });

  it("rejects a sharded folder the loader would refuse, and registers one it loads", async () => {
    const sharded = await mkdtemp(join(tmpdir(), "grades-model-sharded-"));
    try {
      const moved = "model.norm.weight";
      await writeShardedFolder(sharded, (name, shard) => (name === moved ? otherShard(shard) : shard));
      const res = await register(t, {
        id: "misplaced",
        source: { type: "files", files: await uploadFolder(t, sharded) },
      });
      expect(res.status).toBe(422);
      expect((await res.json()).error).toMatchObject({ param: moved, code: "invalid_model" });
      await rm(sharded, { recursive: true });
      await writeShardedFolder(sharded);
      const ok = await register(t, {
        id: "sharded",
        source: { type: "files", files: await uploadFolder(t, sharded) },
      });
      expect(ok.status).toBe(200);
    } finally {
      await rm(sharded, { recursive: true, force: true });
    }
  });

  it("rejects a bad request body naming the field", async () => {
    const res = await register(t, { id: "has spaces", source: { type: "files", files: {} } });
    expect(res.status).toBe(400);
    expect((await res.json()).error.param).toBe("id");
    const unknownFile = await register(t, {
      id: "x",
      source: { type: "files", files: { "config.json": "file-nope" } },
    });
    expect(unknownFile.status).toBe(404);
    const malformed = await t.request("/v1/models", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).error.message).toMatch(/malformed json/i);
  });

  it("keeps a tenant's models from other tenants", async () => {
    const other = await t.addTenant("models-other");
    const res = await t.request("/v1/models/my-llama", {
      headers: { authorization: `Bearer ${other.apiKey}` },
    });
    expect(res.status).toBe(404);
    const list = await (
      await t.request("/v1/models", { headers: { authorization: `Bearer ${other.apiKey}` } })
    ).json();
    expect(list.data.map((m: { id: string }) => m.id)).not.toContain("my-llama");
  });

  it("deletes a tenant's own model and its objects, but not a built-in one", async () => {
    const files = await uploadFolder(t, dir);
    expect((await register(t, { id: "to-delete", source: { type: "files", files } })).status).toBe(200);
    const before = (await t.storage.list("models/")).length;
    const res = await t.request("/v1/models/to-delete", { method: "DELETE" });
    expect(await res.json()).toEqual({ id: "to-delete", object: "model", deleted: true });
    expect((await t.storage.list("models/")).length).toBeLessThan(before);
    expect((await t.request("/v1/models/demo-tiny", { method: "DELETE" })).status).toBe(403);
  });
});

/** `storage` with the key of every put recorded. */
function recordingPuts(storage: ObjectStorage): { storage: ObjectStorage; puts: string[] } {
  const puts: string[] = [];
  const recording = Object.create(storage) as ObjectStorage;
  recording.put = (key, body, opts) => {
    puts.push(key);
    return storage.put(key, body, opts);
  };
  return { storage: recording, puts };
}

describe("the built-in model on start", () => {
  let t: TestApp;
  let changed: string;
  const shippedConfig = async (dir = BUILTIN_MODEL_DIR) =>
    JSON.parse(await readFile(join(dir, "config.json"), "utf8")) as Record<string, unknown>;
  const rows = () =>
    t.db.db
      .select()
      .from(models)
      .where(eq(models.owner, "system"))
      .then((r) => r.sort((a, b) => a.name.localeCompare(b.name)));
  const stored = async (key: string) => Buffer.concat(await (await t.storage.get(key)).toArray());

  beforeAll(async () => {
    t = await createTestApp();
    // The shipped model with other training defaults, as a later release might ship it.
    changed = await mkdtemp(join(tmpdir(), "grades-builtin-changed-"));
    await cp(BUILTIN_MODEL_DIR, changed, { recursive: true });
    const config = await shippedConfig();
    await writeFile(
      join(changed, "config.json"),
      `${JSON.stringify({ ...config, grades_finetune: { learning_rate_multiplier: 5 } }, null, 2)}\n`,
    );
  });
  afterAll(async () => {
    await t.close();
    await rm(changed, { recursive: true, force: true });
  });

  it("refreshes the rows and objects an older release registered, keeping the rows' ids", async () => {
    // What a release without training defaults left: its objects under the old fixed prefix, rows whose config
    // lacks grades_finetune (so "auto" meant multiplier 1) and whose source has no fingerprint.
    const { grades_finetune: _, ...oldConfig } = await shippedConfig();
    const oldPrefix = `models/system/${BUILTIN_MODEL_NAME}/`;
    for (const name of await readdir(BUILTIN_MODEL_DIR)) {
      await t.storage.put(`${oldPrefix}${name}`, await readFile(join(BUILTIN_MODEL_DIR, name)));
    }
    await t.storage.put(`${oldPrefix}config.json`, JSON.stringify(oldConfig));
    for (const name of [BUILTIN_MODEL_NAME, BUILTIN_MODEL_ALIAS]) {
      await insertModel(t.db.db, {
        name,
        owner: "system",
        kind: "base",
        modelType: "qwen3",
        storagePrefix: oldPrefix,
        config: oldConfig,
        source:
          name === BUILTIN_MODEL_NAME
            ? { type: "builtin" }
            : { type: "builtin", alias_of: BUILTIN_MODEL_NAME },
      });
    }
    const before = await rows();

    const deps = { db: t.db.db, storage: t.storage, logger: silentLogger() };
    await Promise.all([ensureBuiltinModels(deps), ensureBuiltinModels(deps)]);

    const fingerprint = await builtinModelFingerprint();
    expect(fingerprint).toMatch(/^[0-9a-f]{64}$/);
    const prefix = builtinModelPrefix(fingerprint);
    expect(prefix).not.toBe(oldPrefix);
    const after = await rows();
    expect(after.map((r) => [r.id, r.name])).toEqual(before.map((r) => [r.id, r.name]));
    expect(after.map((r) => r.createdAt)).toEqual(before.map((r) => r.createdAt));
    for (const row of after) {
      expect(row).toMatchObject({ storagePrefix: prefix, modelType: "qwen3", config: await shippedConfig() });
      expect(row.config.grades_finetune).toEqual(BUILTIN_MODEL_TRAINING_DEFAULTS);
    }
    expect(after.map((r) => r.source)).toEqual([
      { type: "builtin", fingerprint, alias_of: BUILTIN_MODEL_NAME },
      { type: "builtin", fingerprint },
    ]);
    const keys = (await t.storage.list(prefix)).map((o) => o.key.slice(prefix.length));
    expect(keys).toEqual((await readdir(BUILTIN_MODEL_DIR)).sort());
    for (const name of keys) {
      expect((await stored(`${prefix}${name}`)).equals(await readFile(join(BUILTIN_MODEL_DIR, name)))).toBe(
        true,
      );
    }
    // A job on the refreshed row gets the built-in model's multiplier for "auto".
    const trainingFile = await uploadDataset(t, chatDataset(40));
    const res = await postJson(t, "/v1/fine_tuning/jobs", {
      model: BUILTIN_MODEL_ALIAS,
      training_file: trainingFile,
    });
    expect((await res.json()).hyperparameters.learning_rate_multiplier).toBe(
      BUILTIN_MODEL_TRAINING_DEFAULTS.learning_rate_multiplier,
    );
  });

  it("follows a changed shipped model in place, and stores nothing when nothing changed", async () => {
    const deps = { db: t.db.db, storage: t.storage, logger: silentLogger() };
    await ensureBuiltinModels(deps);
    const before = await rows();

    await Promise.all([ensureBuiltinModels(deps, changed), ensureBuiltinModels(deps, changed)]);
    const prefix = builtinModelPrefix(await builtinModelFingerprint(changed));
    expect(prefix).not.toBe(before[0]!.storagePrefix);
    const after = await rows();
    expect(after.map((r) => r.id)).toEqual(before.map((r) => r.id));
    for (const row of after) {
      expect(row.storagePrefix).toBe(prefix);
      expect(row.config.grades_finetune).toEqual({ learning_rate_multiplier: 5 });
    }
    expect((await stored(`${prefix}config.json`)).equals(await readFile(join(changed, "config.json")))).toBe(
      true,
    );

    // Nothing changed: no object is written, no row moves.
    const recording = recordingPuts(t.storage);
    await ensureBuiltinModels({ ...deps, storage: recording.storage }, changed);
    expect(recording.puts).toEqual([]);
    expect(await rows()).toEqual(after);

    // Back to a version already stored: the rows follow, its objects are reused.
    await ensureBuiltinModels({ ...deps, storage: recording.storage });
    expect(recording.puts).toEqual([]);
    expect((await rows()).map((r) => [r.id, r.storagePrefix, r.config])).toEqual(
      before.map((r) => [r.id, r.storagePrefix, r.config]),
    );
  });

  it("stores the files again, config.json last, when the version's objects are gone", async () => {
    const deps = { db: t.db.db, storage: t.storage, logger: silentLogger() };
    await ensureBuiltinModels(deps);
    const prefix = builtinModelPrefix(await builtinModelFingerprint());
    await t.storage.deletePrefix(prefix);
    const recording = recordingPuts(t.storage);
    await ensureBuiltinModels({ ...deps, storage: recording.storage });
    const files = await readdir(BUILTIN_MODEL_DIR);
    expect(recording.puts).toHaveLength(files.length);
    expect(recording.puts.at(-1)).toBe(`${prefix}config.json`);
    expect((await t.storage.list(prefix)).length).toBe(files.length);
    const [row] = await t.db.db
      .select({ n: count() })
      .from(models)
      .where(and(eq(models.owner, "system"), eq(models.storagePrefix, prefix)));
    expect(row!.n).toBe(2);
  });
});

describe("registering a model from an S3 prefix", () => {
  let s3: TestS3;
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    s3 = await startTestS3();
    t = await createTestApp({ storage: new S3Storage(s3.storageOptions("service")) });
    dir = await makeModelFolder();
  });
  afterAll(async () => {
    await t.close();
    await s3.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("copies and validates the folder from s3://bucket/prefix/", async () => {
    const source = new S3Storage(s3.storageOptions(""));
    for (const name of await readdir(dir))
      await source.put(`hf/llama-tiny/${name}`, await readFile(join(dir, name)));
    const res = await register(t, {
      id: "from-s3",
      source: { type: "s3", uri: `s3://${s3.bucket}/hf/llama-tiny` },
    });
    expect(res.status).toBe(200);
    expect((await res.json()).model_type).toBe("llama");
    const stored = (await t.storage.list("models/")).map((o) => o.key.split("/").pop());
    expect(stored).toEqual(expect.arrayContaining(["config.json", "model.safetensors"]));

    const empty = await register(t, {
      id: "nothing",
      source: { type: "s3", uri: `s3://${s3.bucket}/hf/none/` },
    });
    expect(empty.status).toBe(422);
  });

  it("refuses a source inside the service's own storage, so no tenant can copy another's model", async () => {
    const source = new S3Storage(s3.storageOptions(""));
    for (const name of await readdir(dir))
      await source.put(`hf/private/${name}`, await readFile(join(dir, name)));
    const owned = await register(t, {
      id: "owned",
      source: { type: "s3", uri: `s3://${s3.bucket}/hf/private/` },
    });
    expect(owned.status).toBe(200);
    const [row] = await t.db.sql.query<{ storage_prefix: string }>(
      "select storage_prefix from models where name = 'owned' and owner = $1",
      [t.tenantId],
    );
    const other = await t.addTenant("s3-other");
    for (const uri of [`s3://${s3.bucket}/service/${row!.storage_prefix}`, `s3://${s3.bucket}/service/`]) {
      const res = await register(t, { id: "stolen", source: { type: "s3", uri } }, other.apiKey);
      expect(res.status).toBe(400);
      expect((await res.json()).error.param).toBe("source.uri");
    }
    const stolen = await t.db.sql.query("select id from models where name = 'stolen'");
    expect(stolen).toEqual([]);
  });
});
