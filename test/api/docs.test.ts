// /docs is self-contained: every script it loads comes from this server, and that script is served.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../support/app.ts";

describe("the API reference page", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it("loads only scripts and resources from this server, and points at /openapi.json", async () => {
    const res = await t.app.request("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    const scripts = [...html.matchAll(/<script\b[^>]*\bsrc="([^"]*)"/g)].map((m) => m[1]);
    expect(scripts).toEqual(["/docs/assets/api-reference.js"]);
    // No other absolute URL (CDN, fonts) in the page itself.
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain('"url": "/openapi.json"');
    expect(html).toContain('"withDefaultFonts": false');
  });

  it("serves the reference's browser bundle as JavaScript, without an API key", async () => {
    const res = await t.app.request("/docs/assets/api-reference.js");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/javascript/);
    const js = await res.text();
    expect(js.length).toBeGreaterThan(100_000);
    // The page's inline script calls this global.
    expect(js).toContain("createApiReference");
    const html = await (await t.app.request("/docs")).text();
    expect(html).toContain("Scalar.createApiReference(");
  });

  it("serves the OpenAPI document the page renders", async () => {
    const res = await t.app.request("/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toContain("/v1/files");
    // Every /v1 operation documents the rate limit's 429 alongside the 401.
    const listFiles = (doc.paths["/v1/files"] as { get: { responses: Record<string, unknown> } }).get;
    expect(Object.keys(listFiles.responses)).toEqual(expect.arrayContaining(["200", "401", "429"]));
  });

  it("documents the error responses of every route outside fine-tuning, streamed uploads and /health included", async () => {
    type Operation = {
      responses: Record<string, { content?: Record<string, unknown> }>;
      requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> };
    };
    const doc = (await (await t.app.request("/openapi.json")).json()) as {
      paths: Record<string, Record<string, Operation>>;
    };
    const undocumented: string[] = [];
    for (const [path, operations] of Object.entries(doc.paths)) {
      if (path.startsWith("/v1/fine_tuning")) continue;
      for (const [method, op] of Object.entries(operations)) {
        const errors = Object.keys(op.responses).filter((s) => Number(s) >= 400);
        const required = path.startsWith("/v1/") ? ["401", "429"] : [];
        const described = errors.every((s) => op.responses[s]?.content?.["application/json"] !== undefined);
        if (errors.length === 0 || !required.every((s) => errors.includes(s)) || !described)
          undocumented.push(`${method.toUpperCase()} ${path}`);
      }
    }
    expect(undocumented).toEqual([]);
    expect(Object.keys(doc.paths["/health"] ?? {})).toEqual(["get"]);
    expect(Object.keys(doc.paths["/health"]!.get!.responses)).toEqual(["200", "503"]);
    // The streamed multipart bodies are documented field by field.
    const form = (path: string) =>
      Object.keys(
        doc.paths[path]!.post!.requestBody!.content["multipart/form-data"]!.schema.properties ?? {},
      );
    expect(form("/v1/files")).toEqual(expect.arrayContaining(["file", "purpose"]));
    expect(form("/v1/uploads/{upload_id}/parts")).toEqual(["data"]);
    expect(Object.keys(doc.paths["/v1/files"]!.post!.responses)).toEqual(
      expect.arrayContaining(["200", "400", "401", "413", "415", "429"]),
    );
  });
});
