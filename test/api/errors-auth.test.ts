import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalStorage } from "../../db/storage/local.ts";
import { createTestApp, type TestApp } from "../support/app.ts";

function expectErrorShape(body: unknown) {
  expect(body).toEqual({
    error: {
      message: expect.any(String),
      type: expect.any(String),
      param: expect.toSatisfy((p: unknown) => p === null || typeof p === "string"),
      code: expect.toSatisfy((p: unknown) => p === null || typeof p === "string"),
    },
  });
}

describe("authentication, errors, health and the API document", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  it("answers 401 without a key, with a malformed header, and with an unknown key", async () => {
    for (const authorization of ["", "Basic abc", "Bearer", "Bearer sk-grades-not-a-key"]) {
      const res = await t.app.request("/v1/files", { headers: authorization ? { authorization } : {} });
      expect(res.status).toBe(401);
      const body = await res.json();
      expectErrorShape(body);
      expect(body.error.code).toBe(
        authorization.startsWith("Bearer sk") ? "invalid_api_key" : "missing_api_key",
      );
    }
  });

  it("stores keys hashed, never in plain text", async () => {
    const rows = await t.db.sql.query<{ key_hash: string; display_prefix: string }>(
      "select key_hash, display_prefix from api_keys",
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(r.key_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(r.key_hash).not.toContain(t.apiKey);
      expect(t.apiKey.startsWith(r.display_prefix)).toBe(true);
      expect(r.display_prefix.length).toBeLessThan(t.apiKey.length / 2);
    }
  });

  it("maps unknown routes to the error shape with 404", async () => {
    const res = await t.request("/v1/nothing-here");
    expect(res.status).toBe(404);
    const body = await res.json();
    expectErrorShape(body);
    expect(body.error.message).toContain("/v1/nothing-here");
  });

  it("answers 413 to a request body past 1 MiB on a JSON route, whatever its Content-Type", async () => {
    const big = JSON.stringify({
      model: "demo-tiny",
      training_file: "file-x",
      metadata: { a: "x".repeat(2 << 20) },
    });
    const sized = await t.request("/v1/fine_tuning/jobs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: big,
    });
    expect(sized.status).toBe(413);
    expectErrorShape(await sized.json());
    // Streamed in chunks, labelled multipart: the limit goes by route, not by what the client claims.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 40; i++) controller.enqueue(new Uint8Array(64 * 1024).fill(32));
        controller.close();
      },
    });
    const streamed = await t.request("/v1/models", {
      method: "POST",
      headers: { "content-type": "multipart/form-data; boundary=x" },
      body: chunks,
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expectErrorShape(await streamed.json());
  });

  it("answers 400, never 500, to a NUL character in an id, a cursor or a JSON string", async () => {
    const json = (body: unknown) => ({
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const requests: [string, RequestInit?][] = [
      ["/v1/files/file-%00x"],
      ["/v1/files?after=file-%00x"],
      ["/v1/models/demo%00"],
      ["/v1/fine_tuning/jobs/ftjob-%00x/events"],
      ["/v1/fine_tuning/jobs?after=ftjob-%00x"],
      ["/v1/fine_tuning/jobs", json({ model: "demo\u0000", training_file: "file-x" })],
      ["/v1/uploads", json({ bytes: 10, filename: "a.jsonl", mime_type: "text/\u0000", purpose: "batch" })],
    ];
    for (const [path, init] of requests) {
      const res = await t.request(path, init);
      const body = await res.json();
      expect([path, res.status]).toEqual([path, 400]);
      expectErrorShape(body);
    }
  });

  it("maps malformed JSON and schema failures to 400 naming the field", async () => {
    const malformed = await t.request("/v1/uploads", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    expect(malformed.status).toBe(400);
    expectErrorShape(await malformed.json());

    const bad = await t.request("/v1/uploads", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        bytes: -1,
        filename: "a.jsonl",
        mime_type: "application/jsonl",
        purpose: "fine-tune",
      }),
    });
    expect(bad.status).toBe(400);
    const body = await bad.json();
    expectErrorShape(body);
    expect(body.error.param).toBe("bytes");
  });

  it("echoes a request id, or makes one", async () => {
    const given = await t.request("/v1/models", { headers: { "x-request-id": "abc-123" } });
    expect(given.headers.get("x-request-id")).toBe("abc-123");
    const made = await t.request("/v1/models");
    expect(made.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{32}$/);
  });

  it("reports health of the database and storage without a key", async () => {
    const res = await t.app.request("/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", database: "ok", storage: "ok" });
  });

  it("reports 503 naming the part that is down", async () => {
    const broken = await createTestApp({ db: t.db, storage: new LocalStorage("/dev/null/objects") });
    const res = await broken.app.request("/health");
    expect(res.status).toBe(503);
    const body = await res.json();
    expect(body.database).toBe("ok");
    expect(body.storage).toMatch(/^error: /);
    await broken.close();
  });

  it("serves an OpenAPI 3.1 document generated from the routes, and the reference page", async () => {
    const doc = await (await t.app.request("/openapi.json")).json();
    expect(doc.openapi).toBe("3.1.0");
    for (const path of [
      "/v1/files",
      "/v1/files/{file_id}",
      "/v1/files/{file_id}/content",
      "/v1/uploads",
      "/v1/uploads/{upload_id}/parts",
      "/v1/models",
    ]) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    expect(doc.paths["/v1/files"].post.requestBody.content["multipart/form-data"]).toBeDefined();
    expect(doc.components.schemas.File.properties.purpose).toBeDefined();
    expect(doc.components.schemas.Error.properties.error.required).toEqual([
      "message",
      "type",
      "param",
      "code",
    ]);
    expect(Object.keys(doc.paths["/v1/files/{file_id}"].get.responses)).toEqual(
      expect.arrayContaining(["200", "401", "404"]),
    );
    const page = await t.app.request("/docs");
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("/openapi.json");
  });
});
