// files and uploads through the SDK against the live service: every kind of input, upload progress, the switch
// to the Uploads API (parts in parallel), cursor pages, content and delete.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadRequestError, type Grades, NotFoundError, type UploadProgress } from "../src/index.ts";
import { chatDataset, startTestService, type TestService } from "./support/service.ts";

let svc: TestService;
let client: Grades;
let dir: string;
const DATA = chatDataset(40);

beforeAll(async () => {
  svc = await startTestService();
  client = svc.client();
  dir = await mkdtemp(join(tmpdir(), "grades-sdk-files-"));
});
afterAll(async () => {
  await svc?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("files.create", () => {
  it("uploads from a path, a Blob, a Buffer, a web stream and a Node stream, with the same bytes back", async () => {
    const path = join(dir, "train.jsonl");
    await writeFile(path, DATA);
    const inputs = [
      { file: path },
      { file: new Blob([DATA]), filename: "blob.jsonl" },
      { file: new File([DATA], "file.jsonl") },
      { file: Buffer.from(DATA), filename: "buffer.jsonl" },
      { file: new Blob([DATA]).stream(), filename: "web.jsonl" },
      {
        file: Readable.from([Buffer.from(DATA.slice(0, 100)), Buffer.from(DATA.slice(100))]),
        filename: "node.jsonl",
      },
    ];
    const names: string[] = [];
    for (const input of inputs) {
      const file = await client.files.create({ ...input, purpose: "fine-tune" });
      expect(file).toMatchObject({ object: "file", bytes: Buffer.byteLength(DATA), purpose: "fine-tune" });
      names.push(file.filename);
      expect(await (await client.files.content(file.id)).text()).toBe(DATA);
    }
    expect(names).toEqual([
      "train.jsonl",
      "blob.jsonl",
      "file.jsonl",
      "buffer.jsonl",
      "web.jsonl",
      "node.jsonl",
    ]);
  });

  it("reports upload progress up to the file's size", async () => {
    const big = chatDataset(4000);
    const seen: UploadProgress[] = [];
    const file = await client.files.create({
      file: Buffer.from(big),
      filename: "big.jsonl",
      purpose: "fine-tune",
      onProgress: (p) => seen.push(p),
    });
    const total = Buffer.byteLength(big);
    expect(file.bytes).toBe(total);
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.every((p) => p.total === total)).toBe(true);
    const loaded = seen.map((p) => p.loaded);
    expect(loaded).toEqual([...loaded].sort((a, b) => a - b));
    expect(loaded.at(-1)).toBe(total);
    expect(loaded.some((n) => n > 0 && n < total)).toBe(true);
  });

  it("switches to the Uploads API past the threshold: parts in parallel, one file in order", async () => {
    const parts: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    // Counts part requests as they cross the wire, to see them overlap.
    const counting = new (await import("../src/index.ts")).Grades({
      apiKey: svc.apiKey,
      baseURL: svc.baseURL,
      maxRetries: 0,
      fetch: async (input, init) => {
        const isPart = String(input).includes("/parts");
        if (isPart) {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          parts.push(Number(new Headers(init?.headers).get("content-length")));
        }
        try {
          return await fetch(input, init);
        } finally {
          if (isPart) inFlight--;
        }
      },
    });
    const seen: UploadProgress[] = [];
    const file = await counting.files.create({
      file: Buffer.from(DATA),
      filename: "parts.jsonl",
      purpose: "fine-tune",
      upload: { threshold: 1024, partSize: 1000, concurrency: 3 },
      onProgress: (p) => seen.push(p),
    });
    const total = Buffer.byteLength(DATA);
    expect(parts).toHaveLength(Math.ceil(total / 1000));
    expect(maxInFlight).toBeGreaterThan(1);
    expect(maxInFlight).toBeLessThanOrEqual(3);
    expect(file).toMatchObject({ filename: "parts.jsonl", bytes: total, purpose: "fine-tune" });
    expect(await (await client.files.content(file.id)).text()).toBe(DATA);
    expect(seen.at(-1)).toEqual({ loaded: total, total });
  });

  it("cancels the upload when the service refuses to complete it, and surfaces the service's error", async () => {
    // Not JSON lines: the assembled file fails the dataset check at completion.
    const bad = "not json\n".repeat(300);
    const err = await client.files
      .create({
        file: Buffer.from(bad),
        filename: "bad.jsonl",
        purpose: "fine-tune",
        upload: { threshold: 100, partSize: 1000 },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toMatchObject({ status: 400, param: "file", code: "invalid_file_format" });
    const [row] = await svc.t.db.sql.query<{ status: string }>(
      "select status from uploads order by created_at desc limit 1",
    );
    expect(row?.status).toBe("cancelled");
  });

  it("rejects a bad dataset line naming it, with param and code", async () => {
    const err = await client.files
      .create({ file: Buffer.from('{"messages": []}\n'), filename: "x.jsonl", purpose: "fine-tune" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toMatchObject({ param: "file", code: "invalid_file_format" });
    expect((err as Error).message).toMatch(/^400 .*line 1/);
  });
});

describe("files list, retrieve, content and delete", () => {
  it("walks every file across cursor pages, and pages by hand", async () => {
    const created: string[] = [];
    for (let i = 0; i < 5; i++) {
      created.push(
        (
          await client.files.create({
            file: Buffer.from(`line ${i}`),
            filename: `n${i}.txt`,
            purpose: "batch",
          })
        ).id,
      );
    }
    const walked: string[] = [];
    for await (const f of client.files.list({ purpose: "batch", limit: 2 })) walked.push(f.id);
    expect(walked).toEqual([...created].reverse());

    const first = await client.files.list({ purpose: "batch", limit: 2, order: "asc" });
    expect(first.data.map((f) => f.id)).toEqual(created.slice(0, 2));
    expect(first.hasNextPage()).toBe(true);
    const pages: string[][] = [];
    for await (const page of first.iterPages()) pages.push(page.data.map((f) => f.id));
    expect(pages).toEqual([created.slice(0, 2), created.slice(2, 4), created.slice(4)]);
  });

  it("stops a download when the caller aborts after the headers arrived", async () => {
    const big = chatDataset(20_000);
    const file = await client.files.create({
      file: Buffer.from(big),
      filename: "big.jsonl",
      purpose: "batch",
    });
    const controller = new AbortController();
    const res = await client.files.content(file.id, { signal: controller.signal });
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    controller.abort();
    let received = first.value!.byteLength;
    const err = await (async () => {
      for (;;) {
        const r = await reader.read();
        if (r.done) return undefined;
        received += r.value.byteLength;
      }
    })().catch((e: unknown) => e);
    expect((err as Error | undefined)?.name).toBe("AbortError");
    expect(received).toBeLessThan(Buffer.byteLength(big));
  });

  it("retrieves, streams and deletes a file; then it is a NotFoundError", async () => {
    const file = await client.files.create({
      file: Buffer.from(DATA),
      filename: "d.jsonl",
      purpose: "fine-tune",
    });
    expect(await client.files.retrieve(file.id)).toEqual(file);
    const res = await client.files.content(file.id);
    const chunks: Uint8Array[] = [];
    const reader = res.body!.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
    expect(Buffer.concat(chunks).toString()).toBe(DATA);
    expect(await client.files.delete(file.id)).toEqual({ id: file.id, object: "file", deleted: true });
    const err = await client.files.retrieve(file.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).toMatchObject({ status: 404, code: "not_found", param: "file_id" });
  });
});
