// Local folders to object storage: checkpoints as they are written, the trained output at the end, and the
// output packed as one .tar.gz (the adapter result file).
import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import tar from "tar-stream";
import type { ObjectStorage } from "../db/storage/types.ts";

/** Every file under `dir`, as paths relative to it, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split("\\").join("/"))
    .sort();
}

export async function uploadFolder(storage: ObjectStorage, dir: string, prefix: string): Promise<number> {
  const files = await listFiles(dir);
  for (const f of files) {
    const path = join(dir, f);
    const { size } = await stat(path);
    await storage.put(`${prefix}${f}`, createReadStream(path), {
      size,
      contentType: f.endsWith(".json") ? "application/json" : "application/octet-stream",
    });
  }
  return files.length;
}

/** The folder as a gzipped tar stream, entries under `root/`. */
export function tarGzFolder(dir: string, files: string[], root: string): Readable {
  const pack = tar.pack();
  const out = new PassThrough();
  pipeline(pack, createGzip(), out).catch((err) => out.destroy(err));
  (async () => {
    for (const f of files) {
      const path = join(dir, f);
      const { size } = await stat(path);
      await pipeline(createReadStream(path), pack.entry({ name: `${root}/${f}`, size }));
    }
    pack.finalize();
  })().catch((err) => pack.destroy(err));
  return out;
}
