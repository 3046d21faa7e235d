import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalStorage } from "../../db/storage/local.ts";
import { S3Storage } from "../../db/storage/s3.ts";
import { ObjectNotFoundError, type ObjectStorage } from "../../db/storage/types.ts";
import { startTestS3, type TestS3 } from "../support/s3.ts";

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

/** The one suite both implementations must pass. */
function storageSuite(name: string, open: () => Promise<{ storage: ObjectStorage; close(): Promise<void> }>) {
  describe(`${name} object storage`, () => {
    let storage: ObjectStorage;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ storage, close } = await open());
    });
    afterAll(async () => close());

    it("returns the exact bytes that were put, with their size", async () => {
      const data = randomBytes(1234);
      const { size } = await storage.put("a/b/one.bin", data, { contentType: "application/octet-stream" });
      expect(size).toBe(1234);
      expect((await readAll(await storage.get("a/b/one.bin"))).equals(data)).toBe(true);
      expect((await storage.head("a/b/one.bin"))?.size).toBe(1234);
    });

    it("streams a multi-part object from a Node stream and a web stream", async () => {
      // 11 MiB crosses the 5 MiB part size twice, so S3 uses a real multipart upload.
      const chunk = randomBytes(1024 * 1024);
      const parts = Array.from({ length: 11 }, (_, i) =>
        Buffer.concat([chunk, Buffer.from([i])]).subarray(1),
      );
      const whole = Buffer.concat(parts);
      await storage.put("big/node.bin", Readable.from(parts));
      const web = new ReadableStream<Uint8Array>({
        start(ctrl) {
          for (const p of parts) ctrl.enqueue(new Uint8Array(p));
          ctrl.close();
        },
      });
      await storage.put("big/web.bin", web);
      expect((await readAll(await storage.get("big/node.bin"))).equals(whole)).toBe(true);
      expect((await readAll(await storage.get("big/web.bin"))).equals(whole)).toBe(true);
    });

    it("lists by prefix, sorted, and only under that prefix", async () => {
      await storage.put("list/x/2.txt", "two");
      await storage.put("list/x/1.txt", "one");
      await storage.put("list/y.txt", "y");
      await storage.put("listing.txt", "other");
      expect((await storage.list("list/x/")).map((o) => o.key)).toEqual(["list/x/1.txt", "list/x/2.txt"]);
      expect((await storage.list("list/")).map((o) => [o.key, o.size])).toEqual([
        ["list/x/1.txt", 3],
        ["list/x/2.txt", 3],
        ["list/y.txt", 1],
      ]);
      expect(await storage.list("nothing-here/")).toEqual([]);
    });

    it("deletes one object, and every object under a prefix", async () => {
      await storage.put("del/a", "a");
      await storage.put("del/b/c", "c");
      await storage.delete("del/a");
      expect(await storage.head("del/a")).toBeUndefined();
      await storage.delete("del/never-existed");
      await storage.deletePrefix("del/");
      expect(await storage.list("del/")).toEqual([]);
    });

    it("reports a missing object as not found", async () => {
      expect(await storage.head("missing/x")).toBeUndefined();
      await expect(storage.get("missing/x")).rejects.toBeInstanceOf(ObjectNotFoundError);
    });

    it("keeps nothing when the source stream fails midway", async () => {
      const failing = new Readable({
        read() {
          this.push(randomBytes(64 * 1024));
          this.destroy(new Error("client went away"));
        },
      });
      await expect(storage.put("broken/obj", failing)).rejects.toThrow();
      expect(await storage.head("broken/obj")).toBeUndefined();
      expect(await storage.list("broken/")).toEqual([]);
    });

    it("rejects keys that escape the storage root", async () => {
      await expect(storage.put("../escape", "x")).rejects.toThrow(/invalid object key/);
      await expect(storage.put("a//b", "x")).rejects.toThrow(/invalid object key/);
    });

    it("answers ping", async () => {
      await expect(storage.ping()).resolves.toBeUndefined();
    });
  });
}

storageSuite("local folder", async () => {
  const root = await mkdtemp(join(tmpdir(), "grades-local-storage-"));
  return { storage: new LocalStorage(root), close: () => rm(root, { recursive: true, force: true }) };
});

let s3: TestS3;
storageSuite("S3 (s3rver)", async () => {
  s3 = await startTestS3();
  return { storage: new S3Storage(s3.storageOptions("deploy-a")), close: () => s3.close() };
});

describe("local folder object storage internals", () => {
  it("leaves no temporary file behind after a failed put", async () => {
    const root = await mkdtemp(join(tmpdir(), "grades-local-storage-"));
    const storage = new LocalStorage(root);
    const failing = new Readable({
      read() {
        this.destroy(new Error("boom"));
      },
    });
    await expect(storage.put("t/obj", failing)).rejects.toThrow("boom");
    expect(await readdir(join(root, "t"))).toEqual([]);
    await rm(root, { recursive: true, force: true });
  });
});
