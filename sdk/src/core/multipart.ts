// A multipart/form-data body with one file part, built by hand so that the bytes can be counted as fetch reads
// them (upload progress). Where the runtime cannot stream a request body, the same bytes go as one Blob.

export interface MultipartFile {
  field: string;
  blob: Blob;
  filename: string;
}

export type BodyFactory = () => { body: BodyInit; headers: Record<string, string>; stream: boolean };

/** Bytes per read of a streamed body: the granularity of upload progress. */
const PROGRESS_CHUNK = 64 * 1024;

let streamingSupported: boolean | undefined;

/** Whether fetch accepts a ReadableStream body (`duplex: "half"`): Node, Deno and Chromium do. */
export function supportsRequestStreams(): boolean {
  if (streamingSupported !== undefined) return streamingSupported;
  try {
    let duplexAsked = false;
    const init = {
      body: new ReadableStream(),
      method: "POST",
      get duplex() {
        duplexAsked = true;
        return "half";
      },
    };
    const hasType = new Request("http://localhost/", init as RequestInit).headers.has("content-type");
    streamingSupported = duplexAsked && !hasType;
  } catch {
    streamingSupported = false;
  }
  return streamingSupported;
}

/** A filename as browsers write it into Content-Disposition: quotes and line breaks escaped. */
function quoted(value: string): string {
  return value.replace(/\r/g, "%0D").replace(/\n/g, "%0A").replace(/"/g, "%22");
}

/**
 * A factory building the body afresh for every attempt. `onBytes(n)` is told the file bytes sent so far in
 * this attempt (from 0 again on a retry).
 */
export function multipartBody(
  fields: Record<string, string>,
  file: MultipartFile,
  onBytes?: (sent: number) => void,
): BodyFactory {
  const boundary = `----grades-sdk-${globalThis.crypto.randomUUID()}`;
  const encoder = new TextEncoder();
  let head = "";
  for (const [name, value] of Object.entries(fields)) {
    head += `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(name)}"\r\n\r\n${value}\r\n`;
  }
  head +=
    `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(file.field)}"; ` +
    `filename="${quoted(file.filename)}"\r\nContent-Type: ${file.blob.type || "application/octet-stream"}\r\n\r\n`;
  const pre = encoder.encode(head);
  const post = encoder.encode(`\r\n--${boundary}--\r\n`);
  const headers = {
    "content-type": `multipart/form-data; boundary=${boundary}`,
    "content-length": String(pre.byteLength + file.blob.size + post.byteLength),
  };
  return () => {
    if (!onBytes || !supportsRequestStreams()) {
      return { body: new Blob([pre, file.blob, post]), headers, stream: false };
    }
    // Read in slices, one per pull: fetch pulls as the connection takes bytes, so the count follows the network.
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(pre);
        onBytes(0);
      },
      async pull(controller) {
        if (sent >= file.blob.size) {
          controller.enqueue(post);
          controller.close();
          return;
        }
        const end = Math.min(file.blob.size, sent + PROGRESS_CHUNK);
        controller.enqueue(new Uint8Array(await file.blob.slice(sent, end).arrayBuffer()));
        sent = end;
        onBytes(sent);
      },
    });
    return { body, headers, stream: true };
  };
}
