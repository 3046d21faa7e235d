// What makes two requests "the same request" for an Idempotency-Key: method, path (with query) and body.
// A JSON body counts by its value (key order and spacing do not matter); a streamed multipart upload by its text
// fields and its file part's name, media type, size and sha256, hashed on the way to storage, since its bytes
// differ between attempts (each has its own boundary) and it is too large to buffer.
import { createHash } from "node:crypto";
import type { ReceivedForm } from "../multipart.ts";

/** JSON text with every object's keys sorted, so equal values give equal text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function hash(method: string, path: string, body: string): string {
  return createHash("sha256").update(`${method} ${path}\n`).update(body).digest("hex");
}

/** A JSON route's request; a body that is not JSON counts by its bytes (it is refused anyway). */
export function jsonFingerprint(method: string, path: string, body: Uint8Array): string {
  const text = new TextDecoder().decode(body);
  try {
    return hash(method, path, `json:${canonical(JSON.parse(text))}`);
  } catch {
    return hash(method, path, `bytes:${createHash("sha256").update(body).digest("hex")}`);
  }
}

/** A streamed multipart route's request, once its body has been received (with `digest`). */
export function formFingerprint(method: string, path: string, form: ReceivedForm): string {
  if (form.file && form.file.sha256 === undefined) {
    throw new Error("an idempotent streamed create must receive its file with `digest`");
  }
  const file = form.file && {
    filename: form.file.filename,
    mimeType: form.file.mimeType,
    size: form.file.size,
    sha256: form.file.sha256,
  };
  return hash(method, path, `form:${canonical({ fields: form.fields, file: file ?? null })}`);
}
