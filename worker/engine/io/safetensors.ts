// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian header length,
// a JSON header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}, then the raw
// little-endian tensor bytes. Everything is read into float32, since the engine computes in float32.
import { open, writeFile } from "node:fs/promises";
import { InputError } from "../errors.ts";
import { fromBfloat16, toBfloat16 } from "./bfloat16.ts";

export type SafetensorsDtype = "F32" | "F16" | "BF16";

export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsHeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export interface SafetensorsHeader {
  tensors: Map<string, SafetensorsHeaderEntry>;
  metadata: Record<string, string>;
  /** Byte offset of the data section (8 + header length). */
  dataStart: number;
}

export interface TensorToWrite {
  shape: number[];
  data: Float32Array;
}

export interface WriteSafetensorsOptions {
  /** Storage dtype; values are given as float32 and rounded to nearest-even for F16/BF16. */
  dtype?: SafetensorsDtype;
  metadata?: Record<string, string>;
}

export class SafetensorsError extends InputError {
  override name = "SafetensorsError";
}

const BYTES_PER_ELEMENT: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };

/** A header larger than this is not a safetensors file (the reference implementation caps it at 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

function parseHeader(json: string, path: string, fileSize: number, dataStart: number): SafetensorsHeader {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new SafetensorsError(`${path}: header is not valid JSON (${(err as Error).message})`);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new SafetensorsError(`${path}: header is not a JSON object`);
  }
  const tensors = new Map<string, SafetensorsHeaderEntry>();
  let metadata: Record<string, string> = {};
  const dataSize = fileSize - dataStart;
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (name === "__metadata__") {
      metadata = (value ?? {}) as Record<string, string>;
      continue;
    }
    const entry = value as Partial<SafetensorsHeaderEntry> | null;
    if (
      entry === null ||
      typeof entry !== "object" ||
      typeof entry.dtype !== "string" ||
      !Array.isArray(entry.shape) ||
      !entry.shape.every((d) => Number.isInteger(d) && d >= 0) ||
      !Array.isArray(entry.data_offsets) ||
      entry.data_offsets.length !== 2
    ) {
      throw new SafetensorsError(`${path}: tensor "${name}" has a malformed header entry`);
    }
    const [begin, end] = entry.data_offsets as [number, number];
    if (!Number.isInteger(begin) || !Number.isInteger(end) || begin < 0 || end < begin || end > dataSize) {
      throw new SafetensorsError(
        `${path}: tensor "${name}" has data_offsets [${begin}, ${end}] outside the data section (${dataSize} bytes)`,
      );
    }
    tensors.set(name, { dtype: entry.dtype, shape: entry.shape, data_offsets: [begin, end] });
  }
  return { tensors, metadata, dataStart };
}

/** Reads only the header (names, dtypes, shapes, metadata) without loading tensor data. */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  const fh = await open(path, "r");
  try {
    const { size } = await fh.stat();
    if (size < 8) throw new SafetensorsError(`${path}: file too short for a safetensors header`);
    const lenBuf = Buffer.alloc(8);
    await fh.read(lenBuf, 0, 8, 0);
    const headerLen = Number(lenBuf.readBigUInt64LE(0));
    if (headerLen > MAX_HEADER_BYTES || 8 + headerLen > size) {
      throw new SafetensorsError(`${path}: header length ${headerLen} does not fit the file (${size} bytes)`);
    }
    const headerBuf = Buffer.alloc(headerLen);
    await fh.read(headerBuf, 0, headerLen, 8);
    return parseHeader(headerBuf.toString("utf8"), path, size, 8 + headerLen);
  } finally {
    await fh.close();
  }
}

/** Decodes an IEEE half-precision value. */
function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const F16_TABLE = (() => {
  const t = new Float32Array(65536);
  for (let i = 0; i < 65536; i++) t[i] = f16ToF32(i);
  return t;
})();

/** bytes: a freshly allocated (hence aligned) buffer holding exactly one tensor. */
function decode(bytes: Uint8Array, dtype: SafetensorsDtype, count: number): Float32Array {
  if (dtype === "F32") return new Float32Array(bytes.buffer, bytes.byteOffset, count);
  const halves = new Uint16Array(bytes.buffer, bytes.byteOffset, count);
  const out = new Float32Array(count);
  if (dtype === "BF16") return fromBfloat16(halves, out);
  for (let i = 0; i < count; i++) out[i] = F16_TABLE[halves[i]!]!;
  return out;
}

function checkDtype(dtype: string, name: string, path: string): SafetensorsDtype {
  if (dtype === "F32" || dtype === "F16" || dtype === "BF16") return dtype;
  throw new SafetensorsError(
    `${path}: tensor "${name}" has unsupported dtype ${dtype} (supported: F32, F16, BF16)`,
  );
}

/**
 * Reads every tensor (or only `names`) of a safetensors file, converted to float32. Tensors are read one at a
 * time from the file, so peak memory is the float32 result plus one tensor's raw bytes.
 */
export async function readSafetensors(
  path: string,
  names?: Iterable<string>,
): Promise<Map<string, SafetensorsTensor>> {
  const header = await readSafetensorsHeader(path);
  const wanted = names ? new Set(names) : undefined;
  const out = new Map<string, SafetensorsTensor>();
  const fh = await open(path, "r");
  try {
    for (const [name, entry] of header.tensors) {
      if (wanted && !wanted.has(name)) continue;
      const dtype = checkDtype(entry.dtype, name, path);
      const count = entry.shape.reduce((a, b) => a * b, 1);
      const [begin, end] = entry.data_offsets;
      if (end - begin !== count * BYTES_PER_ELEMENT[dtype]) {
        throw new SafetensorsError(
          `${path}: tensor "${name}" holds ${end - begin} bytes but shape [${entry.shape.join(", ")}] of ${dtype} needs ${count * BYTES_PER_ELEMENT[dtype]}`,
        );
      }
      const bytes = new Uint8Array(end - begin);
      let done = 0;
      while (done < bytes.byteLength) {
        const { bytesRead } = await fh.read(
          bytes,
          done,
          bytes.byteLength - done,
          header.dataStart + begin + done,
        );
        if (bytesRead === 0) throw new SafetensorsError(`${path}: file ends inside tensor "${name}"`);
        done += bytesRead;
      }
      out.set(name, { dtype, shape: [...entry.shape], data: decode(bytes, dtype, count) });
    }
  } finally {
    await fh.close();
  }
  return out;
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** float32 → IEEE half bits, rounding to nearest even; overflow → ±inf, tiny → subnormal/zero. */
export function f32ToF16Bits(x: number): number {
  f32Scratch[0] = x;
  const bits = u32Scratch[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    if (rem > half || (rem === half && r & 1)) r++;
    return sign | r;
  }
  let r = mant >>> 13;
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && r & 1)) {
    r++;
    if (r === 0x400) {
      r = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | r;
}

function encode(data: Float32Array, dtype: SafetensorsDtype): Uint8Array {
  if (dtype === "F32") return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (dtype === "BF16") return new Uint8Array(toBfloat16(data).buffer);
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = f32ToF16Bits(data[i]!);
  return new Uint8Array(out.buffer);
}

/** Serialises tensors to safetensors bytes (names sorted, header space-padded to 8-byte alignment). */
export function encodeSafetensors(
  tensors: Map<string, TensorToWrite> | Record<string, TensorToWrite>,
  opts: WriteSafetensorsOptions = {},
): Buffer {
  const dtype = opts.dtype ?? "F32";
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (opts.metadata) header.__metadata__ = opts.metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of entries) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) {
      throw new SafetensorsError(
        `tensor "${name}": shape [${t.shape.join(", ")}] needs ${count} values but ${t.data.length} were given`,
      );
    }
    const bytes = encode(t.data, dtype);
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  const jsonBytes = Buffer.byteLength(json, "utf8");
  json += " ".repeat((8 - (jsonBytes % 8)) % 8);
  const headerBuf = Buffer.from(json, "utf8");
  const lenBuf = Buffer.alloc(8);
  lenBuf.writeBigUInt64LE(BigInt(headerBuf.byteLength));
  return Buffer.concat([lenBuf, headerBuf, ...chunks]);
}

/** Writes tensors (given as float32) to a safetensors file in the chosen dtype. */
export async function writeSafetensors(
  path: string,
  tensors: Map<string, TensorToWrite> | Record<string, TensorToWrite>,
  opts: WriteSafetensorsOptions = {},
): Promise<void> {
  await writeFile(path, encodeSafetensors(tensors, opts));
}
