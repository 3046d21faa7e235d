// Values that reach a response header or an object's metadata (Content-Type, Content-Disposition) come from
// clients: a media type is checked against HTTP's grammar before it is stored, and checked again when served
// (rows stored before the check), and a filename is always encoded. A CR/LF or non-ASCII byte in a header makes
// Node refuse the whole response, and S3 refuse the object.

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const QUOTED = '"[^"\\\\\\u0000-\\u001f\\u007f-\\uffff]*"';
/** RFC 9110 media-type: `type/subtype` with optional `; name=value` parameters, ASCII only. */
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}(?:[ \\t]*;[ \\t]*${TOKEN}=(?:${TOKEN}|${QUOTED}))*$`);

export const MAX_MEDIA_TYPE_CHARS = 255;

export function isMediaType(value: string): boolean {
  return value.length <= MAX_MEDIA_TYPE_CHARS && MEDIA_TYPE.test(value);
}

/** The stored value if it is a media type, else the type that promises nothing. */
export function servableMediaType(value: string | undefined): string {
  return value && isMediaType(value) ? value : "application/octet-stream";
}

/** RFC 6266 Content-Disposition that survives any filename (quotes, non-ASCII). */
export function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}
