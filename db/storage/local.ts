// Objects as files under one folder. A put writes to a temporary file beside the target and renames it, so a
// reader never sees a half-written object and a crash mid-upload leaves only a temp file (never listed).
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { randomToken } from "../ids.ts";
import {
  assertValidKey,
  type Body,
  type ObjectInfo,
  ObjectNotFoundError,
  type ObjectStorage,
  type PutOptions,
} from "./types.ts";

const TEMP_MARK = ".tmp-";

export function toNodeReadable(body: Body): Readable {
  if (typeof body === "string" || body instanceof Uint8Array) return Readable.from([Buffer.from(body)]);
  if (body instanceof Readable) return body;
  return Readable.fromWeb(body as import("node:stream/web").ReadableStream<Uint8Array>);
}

export class LocalStorage implements ObjectStorage {
  constructor(readonly root: string) {}

  get description(): string {
    return `local folder ${this.root}`;
  }

  private path(key: string): string {
    assertValidKey(key);
    return join(this.root, ...key.split("/"));
  }

  async put(key: string, body: Body, opts: PutOptions = {}): Promise<{ size: number }> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    const temp = `${target}${TEMP_MARK}${randomToken(8)}`;
    try {
      await pipeline(toNodeReadable(body), createWriteStream(temp));
      const { size } = await stat(temp);
      if (opts.size !== undefined && opts.size !== size) {
        throw new Error(`object ${key}: expected ${opts.size} bytes, got ${size}`);
      }
      await rename(temp, target);
      return { size };
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  async get(key: string): Promise<Readable> {
    const p = this.path(key);
    const info = await stat(p).catch(() => undefined);
    if (!info?.isFile()) throw new ObjectNotFoundError(key);
    return createReadStream(p);
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const info = await stat(this.path(key)).catch(() => undefined);
    if (!info?.isFile()) return undefined;
    return { key, size: info.size, contentType: undefined, lastModified: info.mtime };
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    // Walk only the deepest folder the prefix names, then filter by the full prefix.
    const folder = prefix.includes("/") ? prefix.slice(0, prefix.lastIndexOf("/")) : "";
    if (folder) assertValidKey(folder);
    const start = folder ? join(this.root, ...folder.split("/")) : this.root;
    const walk = async (dir: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        const full = join(dir, e.name);
        if (e.isDirectory()) await walk(full);
        else if (e.isFile() && !e.name.includes(TEMP_MARK)) {
          const key = relative(this.root, full).split(sep).join("/");
          if (!key.startsWith(prefix)) continue;
          const info = await stat(full).catch(() => undefined);
          if (info) out.push({ key, size: info.size, contentType: undefined, lastModified: info.mtime });
        }
      }
    };
    await walk(start);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async deletePrefix(prefix: string): Promise<void> {
    for (const o of await this.list(prefix)) await this.delete(o.key);
  }

  async ping(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    await stat(this.root);
  }
}
