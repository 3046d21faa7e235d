// Everything `files.create` accepts, turned into one Blob: a Blob can be sent again on a retry and sliced into
// parts for the Uploads API.
import { blobFromPath } from "../internal/node.ts";

/**
 * A path (Node, Bun, Deno; read lazily from disk), a Blob or File, bytes (Buffer, Uint8Array, ArrayBuffer), or a
 * stream of bytes (web ReadableStream, Node Readable or any async iterable; held in memory before sending,
 * since the size must be known first).
 */
export type Uploadable =
  | string
  | Blob
  | Uint8Array
  | ArrayBuffer
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>;

const TYPES: Record<string, string> = {
  jsonl: "application/jsonl",
  json: "application/json",
  txt: "text/plain",
  csv: "text/csv",
  safetensors: "application/octet-stream",
};

export function mimeTypeOf(filename: string): string {
  const ext = filename.slice(filename.lastIndexOf(".") + 1).toLowerCase();
  return TYPES[ext] ?? "application/octet-stream";
}

export async function toBlob(file: Uploadable, filename?: string): Promise<{ blob: Blob; filename: string }> {
  if (typeof file === "string") {
    const fromPath = await blobFromPath(file, mimeTypeOf(filename ?? file));
    return { blob: fromPath.blob, filename: filename ?? fromPath.filename };
  }
  if (file instanceof Blob) {
    const name = filename ?? (file as Blob & { name?: unknown }).name;
    return { blob: file, filename: typeof name === "string" && name ? name : "upload" };
  }
  const name = filename ?? "upload";
  const type = mimeTypeOf(name);
  if (file instanceof ArrayBuffer || ArrayBuffer.isView(file)) {
    return { blob: new Blob([file as BlobPart], { type }), filename: name };
  }
  const chunks: BlobPart[] = [];
  for await (const chunk of asAsyncIterable(file)) {
    chunks.push(typeof chunk === "string" ? new TextEncoder().encode(chunk) : (chunk as BlobPart));
  }
  return { blob: new Blob(chunks, { type }), filename: name };
}

function asAsyncIterable(
  s: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
): AsyncIterable<Uint8Array> {
  if (Symbol.asyncIterator in s) return s as AsyncIterable<Uint8Array>;
  const reader = (s as ReadableStream<Uint8Array>).getReader();
  return {
    async *[Symbol.asyncIterator]() {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          yield value;
        }
      } finally {
        reader.releaseLock();
      }
    },
  };
}
