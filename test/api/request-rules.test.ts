// Rules every route keeps, checked across all of them: strict JSON bodies with one wording, one set of error
// codes (malformed JSON and a wrong Content-Type answer the same everywhere), a precise word on a bad Bearer header.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../api/error-codes.ts";
import { createTestApp, type TestApp } from "../support/app.ts";

/** Every route that takes a JSON body, with a body it would otherwise accept far enough to read its fields. */
const JSON_ROUTES = [
  {
    path: "/v1/uploads",
    body: { bytes: 10, filename: "a.jsonl", mime_type: "application/jsonl", purpose: "fine-tune" },
  },
  { path: "/v1/uploads/upload_x/complete", body: { part_ids: ["part_x"] } },
  { path: "/v1/models", body: { id: "m", source: { type: "files", files: { "config.json": "file-x" } } } },
  { path: "/v1/fine_tuning/jobs", body: { model: "demo-tiny", training_file: "file-x" } },
];

interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: unknown;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $ref?: string;
}

describe("rules every route keeps", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  const post = (path: string, body: string, type = "application/json") =>
    t.request(path, { method: "POST", headers: { "content-type": type }, body });

  it("answers malformed JSON with the same 400 and code on every JSON route", async () => {
    for (const { path } of JSON_ROUTES) {
      const res = await post(path, '{"bytes": 1,');
      expect([path, res.status, await res.json()]).toEqual([
        path,
        400,
        {
          error: {
            message: "Malformed JSON in request body",
            type: "invalid_request_error",
            param: null,
            code: "invalid_json",
          },
        },
      ]);
    }
  });

  it("refuses a misspelt field on every JSON route with one wording, naming it", async () => {
    const misspelt: Record<string, Record<string, unknown>> = {
      "/v1/uploads": { expires_afer: { anchor: "created_at", seconds: 3600 } },
      "/v1/uploads/upload_x/complete": { md_5: "0".repeat(32) },
      "/v1/models": { sorce: {} },
      "/v1/fine_tuning/jobs": { hyperparameter: {} },
    };
    for (const { path, body } of JSON_ROUTES) {
      const [field] = Object.keys(misspelt[path]!);
      const res = await post(path, JSON.stringify({ ...body, ...misspelt[path] }));
      expect([path, res.status, await res.json()]).toEqual([
        path,
        400,
        {
          error: {
            message: `Unrecognized request argument supplied: ${field}`,
            type: "invalid_request_error",
            param: field,
            code: "unknown_parameter",
          },
        },
      ]);
    }
    // Nested objects too.
    const nested = await post(
      "/v1/models",
      JSON.stringify({ id: "m", source: { type: "s3", uri: "s3://b/p/", region: "x" } }),
    );
    expect((await nested.json()).error).toMatchObject({ param: "source.region", code: "unknown_parameter" });
  });

  it("documents every JSON request body as strict, so a new route cannot forget it", async () => {
    const doc = await (await t.app.request("/openapi.json")).json();
    const schemas: Record<string, JsonSchema> = doc.components.schemas;
    const loose: string[] = [];
    const walk = (s: JsonSchema | undefined, where: string, seen: Set<string>) => {
      if (!s) return;
      if (s.$ref) {
        const name = s.$ref.split("/").pop()!;
        if (!seen.has(name)) walk(schemas[name], name, new Set([...seen, name]));
        return;
      }
      if (s.type === "object" && s.properties) {
        if (s.additionalProperties !== false) loose.push(where);
        for (const [k, v] of Object.entries(s.properties)) walk(v, `${where}.${k}`, seen);
      }
      walk(s.items, `${where}[]`, seen);
      for (const alt of [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])]) walk(alt, where, seen);
    };
    let bodies = 0;
    for (const [path, ops] of Object.entries(
      doc.paths as Record<
        string,
        Record<string, { requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }>
      >,
    )) {
      for (const [method, op] of Object.entries(ops)) {
        const schema = op.requestBody?.content?.["application/json"]?.schema;
        if (!schema) continue;
        bodies++;
        walk(schema, `${method.toUpperCase()} ${path}`, new Set());
      }
    }
    expect(bodies).toBeGreaterThanOrEqual(JSON_ROUTES.length);
    expect(loose).toEqual([]);
  });

  it("answers a JSON route sent another Content-Type with 415 and its code", async () => {
    for (const { path, body } of JSON_ROUTES) {
      const res = await post(path, JSON.stringify(body), "text/plain");
      expect([path, res.status, (await res.json()).error]).toEqual([
        path,
        415,
        expect.objectContaining({
          code: "unsupported_media_type",
          message: "Content-Type must be application/json",
        }),
      ]);
    }
    const multipartRoute = await post("/v1/files", "{}", "application/json");
    expect((await multipartRoute.json()).error.code).toBe("unsupported_media_type");
  });

  it("answers every failure with a code from the one documented list", async () => {
    const answers = await Promise.all([
      post("/v1/uploads", "{"),
      post("/v1/uploads", "{}", "text/plain"),
      t.request("/v1/nothing"),
      t.request("/v1/files/file-nope"),
      t.request("/v1/models/nope"),
      t.request("/v1/files?limit=0"),
      t.app.request("/v1/files"),
    ]);
    for (const res of answers) {
      const { code } = (await res.json()).error;
      expect(Object.keys(ERROR_CODES)).toContain(code);
    }
    const doc = await (await t.app.request("/openapi.json")).json();
    const described: string = doc.components.schemas.Error.properties.error.properties.code.description;
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    for (const code of Object.keys(ERROR_CODES)) {
      expect(described).toContain(`\`${code}\``);
      expect(readme).toContain(`| \`${code}\` |`);
    }
  });

  it("tells a client what is wrong with its Authorization header", async () => {
    const cases: [string, string][] = [
      ["", "You didn't provide an API key"],
      ["Basic abc", "'Basic' scheme, not Bearer"],
      ["Bearer", "no API key after 'Bearer'"],
      [`Bearer ${"k"} extra`, "2 words after 'Bearer'"],
    ];
    for (const [authorization, says] of cases) {
      const res = await t.app.request("/v1/files", { headers: authorization ? { authorization } : {} });
      expect(res.status).toBe(401);
      const { error } = await res.json();
      expect(error.message).toContain(says);
      expect(error.code).toBe("missing_api_key");
    }
    const withExtra = await t.app.request("/v1/files", {
      headers: { authorization: `Bearer ${t.apiKey} x` },
    });
    expect((await withExtra.json()).error.message).toContain("one word, with no spaces");
  });
});
