// Object storage: where file contents, model weights, checkpoints and adapters live. Two implementations pass
// one shared test suite: S3 (any S3-compatible server) and a local folder.
import type { Readable } from "node:stream";

export interface ObjectInfo {
  key: string;
  size: number;
  contentType: string | undefined;
  lastModified: Date | undefined;
}

export interface PutOptions {
  /** Known size in bytes, if any; lets S3 skip buffering for small objects. */
  size?: number;
  contentType?: string;
}

export type Body = Readable | ReadableStream<Uint8Array> | Uint8Array | string;

export interface ObjectStorage {
  /** Streams `body` into `key`; the object appears whole or not at all. Returns its size. */
  put(key: string, body: Body, opts?: PutOptions): Promise<{ size: number }>;
  /** The object's bytes as a stream; throws ObjectNotFoundError. */
  get(key: string): Promise<Readable>;
  /** Metadata, or undefined when the object does not exist. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Deletes the object; deleting a missing object is not an error. */
  delete(key: string): Promise<void>;
  /** Every object whose key starts with `prefix`, sorted by key. */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** Deletes every object under `prefix`. */
  deletePrefix(prefix: string): Promise<void>;
  /** Cheap reachability check for /health. */
  ping(): Promise<void>;
  /** Human-readable location for logs. */
  readonly description: string;
}

export class ObjectNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`object not found: ${key}`);
    this.name = "ObjectNotFoundError";
  }
}

/** Keys are `/`-separated relative paths; no `..`, no leading `/`, no empty segments. */
export function assertValidKey(key: string): void {
  if (key.length === 0 || key.length > 1024) throw new Error(`invalid object key length: ${key.length}`);
  const parts = key.split("/");
  for (const [i, p] of parts.entries()) {
    if (p === "." || p === ".." || (p === "" && i !== parts.length - 1))
      throw new Error(`invalid object key: ${key}`);
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\\]/.test(key)) throw new Error(`invalid object key: ${key}`);
}
