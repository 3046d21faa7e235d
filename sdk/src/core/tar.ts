// A small reader for the adapter archives the service sends (.tar.gz): gunzip with the web platform's
// DecompressionStream, then ustar headers, with pax and GNU long names. Regular files and folders only; links
// and devices are skipped. Entries are streamed: read an entry's `chunks` before asking for the next entry.

export interface TarEntry {
  /** The path inside the archive, `/`-separated. */
  name: string;
  type: "file" | "directory";
  size: number;
  /** The content, in chunks; must be consumed (or is skipped) before the next entry. */
  chunks: AsyncIterable<Uint8Array>;
}

export class TarError extends Error {
  override name = "TarError";
}

const BLOCK = 512;
const decoder = new TextDecoder();

/** Reads exact byte counts off a stream of arbitrary chunks. */
class ByteReader {
  private buf: Uint8Array = new Uint8Array(0);
  private off = 0;
  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  private get available(): number {
    return this.buf.length - this.off;
  }

  private async fill(): Promise<boolean> {
    const { done, value } = await this.reader.read();
    if (done) return false;
    if (this.available === 0) this.buf = value;
    else {
      const joined = new Uint8Array(this.available + value.length);
      joined.set(this.buf.subarray(this.off));
      joined.set(value, this.available);
      this.buf = joined;
    }
    this.off = 0;
    return true;
  }

  /** `n` bytes; null at a clean end of stream. */
  async exactly(n: number): Promise<Uint8Array | null> {
    while (this.available < n) {
      if (!(await this.fill())) {
        if (this.available === 0) return null;
        throw new TarError("Truncated archive.");
      }
    }
    const out = this.buf.slice(this.off, this.off + n);
    this.off += n;
    return out;
  }

  async *take(n: number): AsyncGenerator<Uint8Array> {
    let left = n;
    while (left > 0) {
      if (this.available === 0 && !(await this.fill())) throw new TarError("Truncated archive.");
      const m = Math.min(left, this.available);
      yield this.buf.slice(this.off, this.off + m);
      this.off += m;
      left -= m;
    }
  }

  async skip(n: number): Promise<void> {
    for await (const _ of this.take(n));
  }
}

function text(block: Uint8Array, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return decoder.decode(end === -1 ? field : field.subarray(0, end));
}

function number(block: Uint8Array, start: number, length: number): number {
  const field = block.subarray(start, start + length);
  // Base-256 (GNU) for sizes beyond what 11 octal digits hold: high bit set, big-endian after it.
  if (field[0]! & 0x80) {
    let n = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    return n;
  }
  const s = text(block, start, length).trim();
  if (!/^[0-7]*$/.test(s)) throw new TarError(`Invalid number in tar header: '${s}'.`);
  return s === "" ? 0 : Number.parseInt(s, 8);
}

function checkHeader(block: Uint8Array): void {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : block[i]!;
  if (sum !== number(block, 148, 8)) throw new TarError("Bad tar header checksum.");
}

/** pax records: "<length> <key>=<value>\n". */
function paxPath(data: Uint8Array): string | undefined {
  const records = decoder.decode(data);
  let path: string | undefined;
  for (let i = 0; i < records.length; ) {
    const space = records.indexOf(" ", i);
    const length = Number.parseInt(records.slice(i, space), 10);
    if (!(length > 0)) throw new TarError("Bad pax header.");
    const record = records.slice(space + 1, i + length - 1);
    const eq = record.indexOf("=");
    if (record.slice(0, eq) === "path") path = record.slice(eq + 1);
    i += length;
  }
  return path;
}

const padding = (size: number) => (BLOCK - (size % BLOCK)) % BLOCK;

/** The entries of a tar stream (not gzipped). */
export async function* readTar(stream: ReadableStream<Uint8Array>): AsyncGenerator<TarEntry> {
  const reader = stream.getReader();
  const bytes = new ByteReader(reader);
  let longName: string | undefined;
  try {
    for (;;) {
      const block = await bytes.exactly(BLOCK);
      if (!block || block.every((b) => b === 0)) return;
      checkHeader(block);
      const size = number(block, 124, 12);
      const flag = String.fromCharCode(block[156]!);
      if (flag === "x" || flag === "L") {
        const data = (await bytes.exactly(size + padding(size)))?.subarray(0, size);
        if (!data) throw new TarError("Truncated archive.");
        longName = flag === "x" ? (paxPath(data) ?? longName) : text(data, 0, size);
        continue;
      }
      const prefix = decoder.decode(block.subarray(257, 262)) === "ustar" ? text(block, 345, 155) : "";
      const name = longName ?? (prefix ? `${prefix}/${text(block, 0, 100)}` : text(block, 0, 100));
      longName = undefined;
      const type = flag === "0" || flag === "\0" || flag === "7" ? "file" : flag === "5" ? "directory" : null;
      if (!type) {
        await bytes.skip(size + padding(size));
        continue;
      }
      // Counted after each chunk is handed over, so a consumer that stops early leaves the rest to be skipped.
      let remaining = size;
      const chunks = {
        async *[Symbol.asyncIterator]() {
          for await (const chunk of bytes.take(remaining)) {
            yield chunk;
            remaining -= chunk.length;
          }
        },
      };
      yield { name, type, size, chunks };
      await bytes.skip(remaining + padding(size));
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/** The entries of a .tar.gz stream. */
export function readTarGz(stream: ReadableStream<Uint8Array>): AsyncGenerator<TarEntry> {
  return readTar(
    stream.pipeThrough(new DecompressionStream("gzip") as ReadableWritablePair<Uint8Array, Uint8Array>),
  );
}
