import { count } from "drizzle-orm";
import { testClient } from "hono/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { files } from "../../../db/schema/files.ts";
import { createTestApp, multipart, type TestApp } from "../../support/app.ts";

const CHAT = `${JSON.stringify({
  messages: [
    { role: "user", content: "hi" },
    { role: "assistant", content: "hello" },
  ],
})}\n`;

describe("files API", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { GRADES_MAX_UPLOAD_BYTES: "4096" } });
  });
  afterAll(async () => t.close());

  const rowCount = async () => (await t.db.db.select({ n: count() }).from(files))[0]!.n;
  const objectKeys = async () => (await t.storage.list("files/")).map((o) => o.key);
  const upload = (
    content: string,
    fields: Record<string, string> = { purpose: "fine-tune" },
    name = "train.jsonl",
  ) => t.request("/v1/files", { method: "POST", body: multipart({ name, content }, fields) });

  it("stores a valid fine-tune dataset and returns OpenAI's file object", async () => {
    const res = await upload(CHAT.repeat(3));
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({
      object: "file",
      bytes: CHAT.length * 3,
      filename: "train.jsonl",
      purpose: "fine-tune",
      status: "processed",
    });
    expect(body.id).toMatch(/^file-[A-Za-z0-9]{24}$/);
    expect(typeof body.created_at).toBe("number");

    const content = await t.request(`/v1/files/${body.id}/content`);
    expect(content.status).toBe(200);
    expect(await content.text()).toBe(CHAT.repeat(3));

    const got = await (await t.request(`/v1/files/${body.id}`)).json();
    expect(got).toEqual(body);
  });

  it("is part of the typed client: POST /v1/files answers a typed File", async () => {
    const client = testClient(t.app, undefined, undefined, {
      headers: { authorization: `Bearer ${t.apiKey}` },
    });
    const form = new FormData();
    form.append("purpose", "fine-tune");
    form.append("file", new File([CHAT], "typed.jsonl"));
    const res = await client.v1.files.$post({}, { init: { body: form } });
    expect(res.status).toBe(200);
    if (res.status !== 200) return;
    const file = await res.json();
    // `file` is typed from the route's 200 response: a wrong field name would not compile.
    expect([file.object, file.filename, file.bytes, file.purpose]).toEqual([
      "file",
      "typed.jsonl",
      CHAT.length,
      "fine-tune",
    ]);
  });

  it("accepts each format the engine trains on: chat, prompt/completion, text, pre-tokenized", async () => {
    const lines = [
      CHAT,
      `${JSON.stringify({ prompt: "2+2=", completion: "4" })}\n`,
      `${JSON.stringify({ text: "plain text to continue" })}\n`,
      `${JSON.stringify({ input_ids: [1, 2, 3], labels: [-100, 2, 3] })}\n`,
    ];
    for (const line of lines) {
      const res = await upload(line.repeat(2));
      expect(res.status, line).toBe(200);
    }
    const formats = await t.db.sql.query<{ format: string; examples: number }>(
      "select format, examples from files where purpose = 'fine-tune' order by created_at desc limit 4",
    );
    expect(formats.map((r) => r.format).sort()).toEqual(["chat", "prompt_completion", "text", "tokens"]);
    expect(formats.every((r) => r.examples === 2)).toBe(true);
  });

  it("accepts the purpose field after the file part", async () => {
    const form = new FormData();
    form.append("file", new Blob([CHAT]), "late.jsonl");
    form.append("purpose", "fine-tune");
    const res = await t.request("/v1/files", { method: "POST", body: form });
    expect(res.status).toBe(200);
    expect((await res.json()).filename).toBe("late.jsonl");
  });

  it("rejects an invalid dataset with the problems by line number and keeps nothing", async () => {
    const before = { rows: await rowCount(), objects: await objectKeys() };
    const bad = `${CHAT}{"messages": [{"role": "user", "content": "x"}]}\nnot json\n${CHAT}`;
    const res = await upload(bad);
    expect(res.status).toBe(400);
    const { error } = await res.json();
    expect(error.param).toBe("file");
    expect(error.type).toBe("invalid_request_error");
    expect(error.message).toContain("line 2:");
    expect(error.message).toContain("line 3: invalid JSON");
    expect(error.message).not.toContain("line 1:");
    expect(await rowCount()).toBe(before.rows);
    expect(await objectKeys()).toEqual(before.objects);
  });

  it("rejects a wrong purpose naming the parameter and keeps nothing", async () => {
    const before = { rows: await rowCount(), objects: await objectKeys() };
    const res = await upload(CHAT, { purpose: "training" });
    expect(res.status).toBe(400);
    const { error } = await res.json();
    expect(error.param).toBe("purpose");
    expect(error.message).toContain("training");
    expect(await rowCount()).toBe(before.rows);
    expect(await objectKeys()).toEqual(before.objects);
  });

  it("rejects a wrong purpose sent after the file, and keeps nothing", async () => {
    const before = { rows: await rowCount(), objects: await objectKeys() };
    const form = new FormData();
    form.append("file", new Blob([CHAT]), "late.jsonl");
    form.append("purpose", "fine-tuning");
    const res = await t.request("/v1/files", { method: "POST", body: form });
    expect(res.status).toBe(400);
    expect((await res.json()).error.param).toBe("purpose");
    expect(await rowCount()).toBe(before.rows);
    expect(await objectKeys()).toEqual(before.objects);
  });

  it("answers 413 past the size limit and keeps nothing", async () => {
    const before = { rows: await rowCount(), objects: await objectKeys() };
    const res = await upload(CHAT.repeat(200));
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe("file_too_large");
    expect(await rowCount()).toBe(before.rows);
    expect(await objectKeys()).toEqual(before.objects);
  });

  it("answers 413 when the body grows past the limit without a Content-Length", async () => {
    const before = { rows: await rowCount(), objects: await objectKeys() };
    const form = multipart({ name: "big.jsonl", content: CHAT.repeat(200) }, { purpose: "fine-tune" });
    const encoded = new Response(form);
    const res = await t.request("/v1/files", {
      method: "POST",
      headers: { "content-type": encoded.headers.get("content-type")! },
      body: encoded.body,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await rowCount()).toBe(before.rows);
    expect(await objectKeys()).toEqual(before.objects);
  });

  it("does not validate lines of other purposes", async () => {
    const res = await upload("\u0000binary\u0001", { purpose: "user_data" }, "blob.bin");
    expect(res.status).toBe(200);
    expect((await res.json()).purpose).toBe("user_data");
  });

  it("keeps unicode filenames and strips directories; rejects control characters and empty names", async () => {
    const ok = await upload(CHAT, { purpose: "fine-tune" }, "données d'été v2 ✓.jsonl");
    expect(ok.status).toBe(200);
    const file = await ok.json();
    expect(file.filename).toBe("données d'été v2 ✓.jsonl");
    const content = await t.request(`/v1/files/${file.id}/content`);
    expect(content.headers.get("content-disposition")).toContain("filename*=UTF-8''donn%C3%A9es");

    const before = { rows: await rowCount(), objects: await objectKeys() };
    for (const [name, message] of [
      ["a\u0007b.jsonl", "Malformed multipart"],
      ["   ", "filename must not be empty"],
      [`${"x".repeat(300)}.jsonl`, "at most 255 characters"],
    ] as const) {
      const res = await upload(CHAT, { purpose: "fine-tune" }, name);
      expect(res.status).toBe(400);
      expect((await res.json()).error.message).toContain(message);
    }
    expect(await rowCount()).toBe(before.rows);
    expect(await objectKeys()).toEqual(before.objects);

    const path = await upload(CHAT, { purpose: "fine-tune" }, "../../etc/passwd");
    expect(path.status).toBe(200);
    expect((await path.json()).filename).toBe("passwd");
  });

  it("answers 400 to a form cut off in the middle of the file, and keeps nothing", async () => {
    const before = { rows: await rowCount(), objects: await objectKeys() };
    const boundary = "cut0ff";
    const body =
      `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nfine-tune\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="t.jsonl"\r\n\r\n${CHAT}${CHAT}`;
    const res = await t.request("/v1/files", {
      method: "POST",
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
      body,
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toContain("Malformed multipart");
    expect(await rowCount()).toBe(before.rows);
    expect(await objectKeys()).toEqual(before.objects);
  });

  it("answers 415 to a body that is not multipart, and 400 without a file", async () => {
    const json = await t.request("/v1/files", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ purpose: "fine-tune" }),
    });
    expect(json.status).toBe(415);
    const nofile = await t.request("/v1/files", {
      method: "POST",
      body: multipart(undefined, { purpose: "fine-tune" }),
    });
    expect(nofile.status).toBe(400);
    expect((await nofile.json()).error.param).toBe("file");
  });

  it("refuses a second file part, a repeated field and an unknown file part, keeping nothing", async () => {
    const before = { rows: await rowCount(), objects: await objectKeys() };
    const twoFiles = new FormData();
    twoFiles.append("purpose", "fine-tune");
    twoFiles.append("file", new Blob([CHAT]), "a.jsonl");
    twoFiles.append("file", new Blob([CHAT]), "b.jsonl");
    const twice = await t.request("/v1/files", { method: "POST", body: twoFiles });
    expect(twice.status).toBe(400);
    expect((await twice.json()).error).toMatchObject({ param: "file", code: "invalid_multipart" });

    const twoPurposes = multipart({ name: "a.jsonl", content: CHAT }, { purpose: "fine-tune" });
    twoPurposes.append("purpose", "batch");
    const purpose = await t.request("/v1/files", { method: "POST", body: twoPurposes });
    expect(purpose.status).toBe(400);
    expect((await purpose.json()).error.param).toBe("purpose");

    const other = multipart({ field: "fil", name: "a.jsonl", content: CHAT }, { purpose: "fine-tune" });
    const unknown = await t.request("/v1/files", { method: "POST", body: other });
    expect(unknown.status).toBe(400);
    expect((await unknown.json()).error).toMatchObject({ param: "fil", code: "unknown_parameter" });

    expect(await rowCount()).toBe(before.rows);
    expect(await objectKeys()).toEqual(before.objects);
  });

  it("lists newest first with cursors, filters by purpose, and pages to the end", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await (await upload(CHAT, { purpose: "batch" }, `b${i}.jsonl`)).json()).id);
    const page1 = await (await t.request("/v1/files?purpose=batch&limit=2")).json();
    expect(page1.object).toBe("list");
    expect(page1.data.map((f: { id: string }) => f.id)).toEqual([ids[2], ids[1]]);
    expect(page1.has_more).toBe(true);
    expect(page1.last_id).toBe(ids[1]);
    const page2 = await (await t.request(`/v1/files?purpose=batch&limit=2&after=${page1.last_id}`)).json();
    expect(page2.data.map((f: { id: string }) => f.id)).toEqual([ids[0]]);
    expect(page2.has_more).toBe(false);
    const asc = await (await t.request("/v1/files?purpose=batch&order=asc")).json();
    expect(asc.data.map((f: { id: string }) => f.id)).toEqual(ids);
    const bad = await t.request("/v1/files?limit=0");
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.param).toBe("limit");
  });

  it("deletes the row and the object", async () => {
    const { id } = await (await upload(CHAT)).json();
    expect(await objectKeys()).toContain(`files/${t.tenantId}/${id}`);
    const res = await t.request(`/v1/files/${id}`, { method: "DELETE" });
    expect(await res.json()).toEqual({ id, object: "file", deleted: true });
    expect(await objectKeys()).not.toContain(`files/${t.tenantId}/${id}`);
    expect((await t.request(`/v1/files/${id}`)).status).toBe(404);
    expect((await t.request(`/v1/files/${id}`, { method: "DELETE" })).status).toBe(404);
  });

  it("hides one tenant's files from another (404, not 403)", async () => {
    const { id } = await (await upload(CHAT)).json();
    const other = await t.addTenant("other-tenant");
    const auth = { authorization: `Bearer ${other.apiKey}` };
    for (const [path, method] of [
      [`/v1/files/${id}`, "GET"],
      [`/v1/files/${id}/content`, "GET"],
      [`/v1/files/${id}`, "DELETE"],
    ] as const) {
      const res = await t.request(path, { method, headers: auth });
      expect(res.status).toBe(404);
      expect((await res.json()).error.message).toContain(id);
    }
    const list = await (await t.request("/v1/files", { headers: auth })).json();
    expect(list.data).toEqual([]);
    expect((await t.request(`/v1/files/${id}`)).status).toBe(200);
  });

  it("sets expires_at from expires_after and hides a file once it has expired", async () => {
    const res = await upload(CHAT, {
      purpose: "batch",
      "expires_after[anchor]": "created_at",
      "expires_after[seconds]": "3600",
    });
    const file = await res.json();
    expect(file.expires_at - file.created_at).toBeGreaterThanOrEqual(3599);
    expect(file.expires_at - file.created_at).toBeLessThanOrEqual(3601);
    await t.db.sql.query("update files set expires_at = now() - interval '1 second' where id = $1", [
      file.id,
    ]);
    expect((await t.request(`/v1/files/${file.id}`)).status).toBe(404);
    const list = await (await t.request("/v1/files?purpose=batch")).json();
    expect(list.data.map((f: { id: string }) => f.id)).not.toContain(file.id);
    const bad = await upload(CHAT, {
      purpose: "batch",
      "expires_after[anchor]": "created_at",
      "expires_after[seconds]": "60",
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.param).toBe("expires_after.seconds");
  });
});
