// Streams every object under a storage prefix as one .tar.gz, one object after another, never holding more
// than one object's chunk in memory.
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import tar from "tar-stream";
import type { ObjectInfo, ObjectStorage } from "../../../db/storage/types.ts";

/** `objects` come from storage.list(prefix); entry names are the keys relative to `prefix`, under `folder/`. */
export function tarGzObjects(
  storage: ObjectStorage,
  prefix: string,
  objects: ObjectInfo[],
  folder: string,
): Readable {
  const pack = tar.pack();
  const out = new PassThrough();
  const gzip = createGzip();
  pipeline(pack, gzip, out).catch((err) => out.destroy(err));
  (async () => {
    for (const o of objects) {
      const entry = pack.entry({
        name: `${folder}/${o.key.slice(prefix.length)}`,
        size: o.size,
        mtime: o.lastModified,
      });
      await pipeline(await storage.get(o.key), entry);
    }
    pack.finalize();
  })().catch((err) => pack.destroy(err));
  return out;
}
