// The official openai npm client, unmodified, against a live server: the compatibility the README promises.
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3Storage } from "../../db/storage/s3.ts";
import { type RunningServer, startServer } from "../../infra/server.ts";
import { createTestApp, type TestApp } from "../support/app.ts";
import { startTestS3, type TestS3 } from "../support/s3.ts";

const line = (i: number) =>
  `${JSON.stringify({
    messages: [
      { role: "user", content: `q${i}` },
      { role: "assistant", content: `a${i}` },
    ],
  })}\n`;
const DATASET = Array.from({ length: 20 }, (_, i) => line(i)).join("");

describe.each(["local folder", "S3"])(
  "the official openai client against a live server (%s storage)",
  (kind) => {
    let t: TestApp;
    let s3: TestS3 | undefined;
    let server: RunningServer;
    let client: OpenAI;
    beforeAll(async () => {
      s3 = kind === "S3" ? await startTestS3() : undefined;
      t = await createTestApp(s3 ? { storage: new S3Storage(s3.storageOptions("svc")) } : {});
      server = await startServer(t.deps, { port: 0, host: "127.0.0.1" });
      client = new OpenAI({ apiKey: t.apiKey, baseURL: `${server.url}/v1`, maxRetries: 0 });
    });
    afterAll(async () => {
      await server.close();
      await t.close();
      await s3?.close();
    });

    it("creates, lists, retrieves, downloads and deletes a file", async () => {
      const created = await client.files.create({
        file: await toFile(Buffer.from(DATASET), "train.jsonl"),
        purpose: "fine-tune",
      });
      expect(created).toMatchObject({
        object: "file",
        bytes: DATASET.length,
        filename: "train.jsonl",
        purpose: "fine-tune",
      });

      const listed: string[] = [];
      for await (const f of client.files.list({ purpose: "fine-tune" })) listed.push(f.id);
      expect(listed).toContain(created.id);

      const retrieved = await client.files.retrieve(created.id);
      expect(retrieved.id).toBe(created.id);
      expect(retrieved.bytes).toBe(DATASET.length);

      const content = await client.files.content(created.id);
      expect(await content.text()).toBe(DATASET);

      const deleted = await client.files.delete(created.id);
      expect(deleted).toEqual({ id: created.id, object: "file", deleted: true });
      await expect(client.files.retrieve(created.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    });

    it("pages through files with the client's auto-pagination", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push(
          (
            await client.files.create({
              file: await toFile(Buffer.from(line(i)), `p${i}.jsonl`),
              purpose: "batch",
            })
          ).id,
        );
      }
      const seen: string[] = [];
      for await (const f of client.files.list({ purpose: "batch", limit: 2 })) seen.push(f.id);
      expect(seen).toEqual([...ids].reverse());
    });

    it("maps a rejected dataset to BadRequestError with the line numbers", async () => {
      const bad = `${line(0)}{"prompt": 3}\n`;
      const err = await client.files
        .create({ file: await toFile(Buffer.from(bad), "bad.jsonl"), purpose: "fine-tune" })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).toContain("line 2:");
      expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("file");
    });

    it("rejects a wrong key with AuthenticationError", async () => {
      const wrong = new OpenAI({ apiKey: "sk-grades-wrong", baseURL: `${server.url}/v1`, maxRetries: 0 });
      await expect(wrong.files.list().then((p) => p.data)).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    });

    it("uploads a file in parts through the Uploads API and reads it back whole", async () => {
      const bytes = Buffer.from(DATASET);
      const cut = [0, 100, 731, bytes.length];
      const upload = await client.uploads.create({
        bytes: bytes.length,
        filename: "parts.jsonl",
        mime_type: "application/jsonl",
        purpose: "fine-tune",
      });
      expect(upload).toMatchObject({ object: "upload", status: "pending", bytes: bytes.length, file: null });
      const partIds: string[] = [];
      for (let i = 0; i + 1 < cut.length; i++) {
        const part = await client.uploads.parts.create(upload.id, {
          data: await toFile(bytes.subarray(cut[i], cut[i + 1])),
        });
        expect(part).toMatchObject({ object: "upload.part", upload_id: upload.id });
        partIds.push(part.id);
      }
      const done = await client.uploads.complete(upload.id, { part_ids: partIds });
      expect(done.status).toBe("completed");
      expect(done.file).toMatchObject({
        object: "file",
        bytes: bytes.length,
        filename: "parts.jsonl",
        purpose: "fine-tune",
      });
      const content = await client.files.content(done.file!.id);
      expect(Buffer.from(await content.arrayBuffer()).equals(bytes)).toBe(true);
      // The parts are gone once assembled.
      expect(await t.storage.list(`uploads/${t.tenantId}/${upload.id}/`)).toEqual([]);
    });

    it("cancels an upload and refuses to complete it afterwards", async () => {
      const upload = await client.uploads.create({
        bytes: 10,
        filename: "x.jsonl",
        mime_type: "application/jsonl",
        purpose: "fine-tune",
      });
      const part = await client.uploads.parts.create(upload.id, {
        data: await toFile(Buffer.from("0123456789")),
      });
      const cancelled = await client.uploads.cancel(upload.id);
      expect(cancelled.status).toBe("cancelled");
      expect(await t.storage.list(`uploads/${t.tenantId}/${upload.id}/`)).toEqual([]);
      await expect(client.uploads.complete(upload.id, { part_ids: [part.id] })).rejects.toBeInstanceOf(
        OpenAI.ConflictError,
      );
    });

    it("lists the built-in and registered models through models.list", async () => {
      const page = await client.models.list();
      expect(page.data.every((m) => m.object === "model")).toBe(true);
    });
  },
);
