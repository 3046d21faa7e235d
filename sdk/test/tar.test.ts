// The SDK's tar reader against archives written by tar-stream (the library the service packs adapters with):
// long names (pax), folders, empty and block-sized files, input in awkward chunks, corruption, truncation, and
// unpacking that refuses paths outside the target folder.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import tar from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readTar, readTarGz, TarError } from "../src/index.ts";
import { writeEntries } from "../src/internal/node.ts";

type Entry = { name: string; content?: Buffer; type?: "directory" | "symlink" };

async function pack(entries: Entry[]): Promise<Buffer> {
  const p = tar.pack();
  for (const e of entries) {
    if (e.type === "directory") p.entry({ name: e.name, type: "directory" });
    else if (e.type === "symlink") p.entry({ name: e.name, type: "symlink", linkname: "/etc/passwd" });
    else p.entry({ name: e.name }, e.content!);
  }
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A stream handing out `bytes` in pieces of `size`. */
function streamOf(bytes: Uint8Array, size = bytes.length): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream({
    pull(c) {
      if (off >= bytes.length) return c.close();
      c.enqueue(bytes.slice(off, off + size));
      off += size;
    },
  });
}

async function readAll(stream: ReadableStream<Uint8Array>, gz = false) {
  const out: { name: string; type: string; content: string }[] = [];
  for await (const e of gz ? readTarGz(stream) : readTar(stream)) {
    const parts: Uint8Array[] = [];
    for await (const c of e.chunks) parts.push(c);
    out.push({ name: e.name, type: e.type, content: Buffer.concat(parts).toString() });
  }
  return out;
}

const longName = `${"deep/".repeat(40)}file.txt`;
const random = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251));
const ENTRIES: Entry[] = [
  { name: "adapter/", type: "directory" },
  { name: "adapter/adapter_config.json", content: Buffer.from('{"r": 4}') },
  { name: "adapter/empty", content: Buffer.alloc(0) },
  { name: "adapter/block", content: Buffer.alloc(512, "b") },
  { name: "adapter/bin", content: random },
  { name: longName, content: Buffer.from("long") },
  { name: "adapter/link", type: "symlink" },
];

describe("readTar / readTarGz", () => {
  let archive: Buffer;
  beforeAll(async () => {
    archive = await pack(ENTRIES);
  });

  it("reads every regular file and folder with its exact bytes, skipping links", async () => {
    for (const size of [archive.length, 512, 7, 1]) {
      const got = await readAll(streamOf(archive, size));
      expect(got.map((e) => [e.name, e.type])).toEqual([
        ["adapter/", "directory"],
        ["adapter/adapter_config.json", "file"],
        ["adapter/empty", "file"],
        ["adapter/block", "file"],
        ["adapter/bin", "file"],
        [longName, "file"],
      ]);
      expect(got[1]!.content).toBe('{"r": 4}');
      expect(got[3]!.content).toBe("b".repeat(512));
    }
  });

  it("keeps binary content intact and gunzips .tar.gz", async () => {
    let bin: Buffer | undefined;
    for await (const e of readTarGz(streamOf(gzipSync(archive), 100))) {
      const parts: Uint8Array[] = [];
      for await (const c of e.chunks) parts.push(c);
      if (e.name === "adapter/bin") bin = Buffer.concat(parts);
    }
    expect(bin?.equals(random)).toBe(true);
  });

  it("skips the rest of an entry the reader stopped reading", async () => {
    const names: string[] = [];
    for await (const e of readTar(streamOf(archive, 100))) {
      names.push(e.name);
      for await (const _ of e.chunks) break;
    }
    expect(names).toContain(longName);
    expect(names).toHaveLength(6);
  });

  it("fails on a corrupted header and on a truncated archive", async () => {
    const corrupt = Buffer.from(archive);
    corrupt[600] = corrupt[600]! ^ 0xff;
    await expect(readAll(streamOf(corrupt))).rejects.toThrow(/checksum/);
    await expect(readAll(streamOf(archive.subarray(0, 1700)))).rejects.toThrow(TarError);
  });
});

describe("unpacking into a folder", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "grades-sdk-tar-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes the files under the folder, dropping the top folder", async () => {
    const files = await writeEntries(readTar(streamOf(await pack(ENTRIES))), join(dir, "out"), 1);
    expect(files).toEqual(["adapter_config.json", "bin", "block", `${"deep/".repeat(39)}file.txt`, "empty"]);
    expect(await readFile(join(dir, "out", "bin"))).toEqual(random);
  });

  it("refuses an entry that climbs out of the folder", async () => {
    const evil = await pack([{ name: "x/../../escaped.txt", content: Buffer.from("no") }]);
    await expect(writeEntries(readTar(streamOf(evil)), join(dir, "evil"), 1)).rejects.toThrow(/outside/);
    await expect(readFile(join(dir, "escaped.txt"))).rejects.toThrow();
  });
});
