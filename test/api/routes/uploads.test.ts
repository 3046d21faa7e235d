import { count } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { files } from "../../../db/schema/files.ts";
import { createTestApp, multipart, type TestApp } from "../../support/app.ts";

const json = (body: unknown) => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

describe("uploads API edge cases", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { GRADES_MAX_MULTIPART_UPLOAD_BYTES: "100000" } });
  });
  afterAll(async () => t.close());

  async function createUpload(content: string, purpose = "fine-tune") {
    const up = await (
      await t.request(
        "/v1/uploads",
        json({
          bytes: Buffer.byteLength(content),
          filename: "u.jsonl",
          mime_type: "application/jsonl",
          purpose,
        }),
      )
    ).json();
    const half = Math.floor(content.length / 2);
    const ids: string[] = [];
    for (const piece of [content.slice(0, half), content.slice(half)]) {
      const res = await t.request(`/v1/uploads/${up.id}/parts`, {
        method: "POST",
        body: multipart({ field: "data", name: "blob", content: piece }),
      });
      expect(res.status).toBe(200);
      ids.push((await res.json()).id);
    }
    return { id: up.id as string, parts: ids };
  }

  it("rejects an invalid dataset at completion, keeping no file, and leaves the upload pending", async () => {
    const filesBefore = (await t.db.db.select({ n: count() }).from(files))[0]!.n;
    const { id, parts } = await createUpload('{"text": "fine"}\n{"text": 5}\n');
    const res = await t.request(`/v1/uploads/${id}/complete`, json({ part_ids: parts }));
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toContain("line 2:");
    expect((await t.db.db.select({ n: count() }).from(files))[0]!.n).toBe(filesBefore);
    expect(await t.storage.list("files/")).toEqual([]);
  });

  it("checks that the parts add up to the announced size and belong to the upload", async () => {
    const { id, parts } = await createUpload('{"text": "a"}\n{"text": "b"}\n');
    const missing = await t.request(`/v1/uploads/${id}/complete`, json({ part_ids: [parts[0]] }));
    expect(missing.status).toBe(400);
    expect((await missing.json()).error.code).toBe("bytes_mismatch");
    const foreign = await t.request(
      `/v1/uploads/${id}/complete`,
      json({ part_ids: [parts[0], "part_nope"] }),
    );
    expect(foreign.status).toBe(400);
    expect((await foreign.json()).error.param).toBe("part_ids.1");
    const md5 = await t.request(`/v1/uploads/${id}/complete`, json({ part_ids: parts, md5: "0".repeat(32) }));
    expect(md5.status).toBe(400);
    expect((await md5.json()).error.param).toBe("md5");
    const ok = await t.request(`/v1/uploads/${id}/complete`, json({ part_ids: parts }));
    expect(ok.status).toBe(200);
    const again = await t.request(`/v1/uploads/${id}/complete`, json({ part_ids: parts }));
    expect(again.status).toBe(409);
  });

  it("refuses an upload larger than the configured limit with 413", async () => {
    const res = await t.request(
      "/v1/uploads",
      json({ bytes: 100001, filename: "big.jsonl", mime_type: "application/jsonl", purpose: "fine-tune" }),
    );
    expect(res.status).toBe(413);
    expect((await res.json()).error.param).toBe("bytes");
  });

  it("refuses a part larger than the whole upload", async () => {
    const up = await (
      await t.request(
        "/v1/uploads",
        json({ bytes: 4, filename: "s.jsonl", mime_type: "application/jsonl", purpose: "batch" }),
      )
    ).json();
    const res = await t.request(`/v1/uploads/${up.id}/parts`, {
      method: "POST",
      body: multipart({ field: "data", name: "blob", content: "0123456789" }),
    });
    expect(res.status).toBe(413);
    expect(await t.storage.list(`uploads/${t.tenantId}/${up.id}/`)).toEqual([]);
  });

  it("applies the file rules to an upload's filename: directories stripped, control characters refused", async () => {
    const base = { bytes: 10, mime_type: "application/jsonl", purpose: "fine-tune" };
    const ok = await t.request("/v1/uploads", json({ ...base, filename: "../../etc/train.jsonl" }));
    expect(ok.status).toBe(200);
    expect((await ok.json()).filename).toBe("train.jsonl");
    for (const filename of ["bad\u0007name.jsonl", "a/..", "dir/ "]) {
      const res = await t.request("/v1/uploads", json({ ...base, filename }));
      expect(res.status).toBe(400);
      expect((await res.json()).error.param).toBe("filename");
    }
  });

  it("refuses a mime_type that is not a media type, so it can never reach a header or object metadata", async () => {
    const base = { bytes: 10, filename: "a.jsonl", purpose: "fine-tune" };
    for (const mime_type of ["text/☃", "text/plain\r\nX-Injected: 1", "", "plain", "text/plain; q"]) {
      const res = await t.request("/v1/uploads", json({ ...base, mime_type }));
      expect([mime_type, res.status]).toEqual([mime_type, 400]);
      expect((await res.json()).error).toMatchObject({ param: "mime_type", code: "invalid_value" });
    }
    const ok = await t.request(
      "/v1/uploads",
      json({ ...base, mime_type: "application/jsonl; charset=utf-8" }),
    );
    expect(ok.status).toBe(200);
  });

  it("serves a file whose stored content type is not a media type as application/octet-stream", async () => {
    const { id, parts } = await createUpload('{"text": "a"}\n');
    const done = await (await t.request(`/v1/uploads/${id}/complete`, json({ part_ids: parts }))).json();
    // As a row written before media types were checked.
    await t.db.sql.query("update files set content_type = $1 where id = $2", ["text/☃", done.file.id]);
    const res = await t.request(`/v1/files/${done.file.id}/content`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect(await res.text()).toBe('{"text": "a"}\n');
  });

  it("gives the completed file the expires_after the upload was created with", async () => {
    const content = '{"text": "a"}\n';
    const create = (expires_after?: unknown) =>
      t.request(
        "/v1/uploads",
        json({
          bytes: content.length,
          filename: "e.jsonl",
          mime_type: "text/jsonl",
          purpose: "fine-tune",
          expires_after,
        }),
      );
    const up = await (await create({ anchor: "created_at", seconds: 7200 })).json();
    const part = await (
      await t.request(`/v1/uploads/${up.id}/parts`, {
        method: "POST",
        body: multipart({ field: "data", name: "blob", content }),
      })
    ).json();
    const before = Math.floor(Date.now() / 1000);
    const done = await (
      await t.request(`/v1/uploads/${up.id}/complete`, json({ part_ids: [part.id] }))
    ).json();
    expect(done.file.expires_at - before).toBeGreaterThanOrEqual(7199);
    expect(done.file.expires_at - before).toBeLessThanOrEqual(7201);
    const stored = await (await t.request(`/v1/files/${done.file.id}`)).json();
    expect(stored.expires_at).toBe(done.file.expires_at);
    for (const bad of [
      { anchor: "created_at", seconds: 60 },
      { anchor: "now", seconds: 3600 },
      { seconds: 3600, x: 1 },
    ]) {
      expect((await create(bad)).status).toBe(400);
    }
  });

  it("hides another tenant's uploads", async () => {
    const { id } = await createUpload('{"text": "a"}\n');
    const other = await t.addTenant("uploads-other");
    const res = await t.request(`/v1/uploads/${id}/cancel`, {
      method: "POST",
      headers: { authorization: `Bearer ${other.apiKey}` },
    });
    expect(res.status).toBe(404);
  });
});
