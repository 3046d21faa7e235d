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
});
