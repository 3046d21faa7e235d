import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { count } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BUILTIN_MODEL_ALIAS,
  BUILTIN_MODEL_NAME,
  ensureBuiltinModels,
} from "../../api/models/builtin-model.ts";
import { models } from "../../db/schema/models.ts";
import { S3Storage } from "../../db/storage/s3.ts";
import { silentLogger } from "../../infra/logger.ts";
import { initTinyModel } from "../../worker/engine/model/init.ts";
import { createTestApp, multipart, type TestApp } from "../support/app.ts";
import { startTestS3, type TestS3 } from "../support/s3.ts";

/** A small llama-shaped HF folder with stand-in tokenizer files (validation reads them as JSON only). */
async function makeModelFolder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "grades-model-src-"));
  await initTinyModel(dir, {
    preset: "llama-tiny",
    seed: 7,
    withTokenizer: false,
    overrides: { vocab_size: 300 },
  });
  await writeFile(join(dir, "tokenizer.json"), JSON.stringify({ version: "1.0", model: { type: "BPE" } }));
  await writeFile(join(dir, "tokenizer_config.json"), JSON.stringify({ model_max_length: 4096 }));
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
    const keys = (await t.storage.list(`models/system/${BUILTIN_MODEL_NAME}/`)).map((o) =>
      o.key.split("/").pop(),
    );
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
