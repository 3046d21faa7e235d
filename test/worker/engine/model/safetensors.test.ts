import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  readSafetensors,
  readSafetensorsHeader,
  writeSafetensors,
} from "../../../../worker/engine/io/safetensors.ts";
import { makeTempDir } from "../support/tmp-dir.ts";

/** Builds a safetensors file by hand (independently of the writer) from raw little-endian bytes. */
function handBuilt(entries: { name: string; dtype: string; shape: number[]; bytes: number[] }[]): Buffer {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const e of entries) {
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + e.bytes.length] };
    offset += e.bytes.length;
  }
  const json = Buffer.from(JSON.stringify(header), "utf8");
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, Buffer.from(entries.flatMap((e) => e.bytes))]);
}

const u16le = (...vals: number[]) => vals.flatMap((v) => [v & 0xff, v >> 8]);

describe("safetensors", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await makeTempDir());
  });
  afterAll(() => cleanup());

  it("decodes F16 and BF16 bit patterns to the right float32 values", async () => {
    const path = join(dir, "half.safetensors");
    // F16: 1, -2, 65504 (max), 2^-24 (smallest subnormal), 0x3555 = 0.333251953125, -inf
    // BF16: 1, 3.140625, -123.5, 2^-133 (subnormal in float32)
    await writeFile(
      path,
      handBuilt([
        {
          name: "h",
          dtype: "F16",
          shape: [2, 3],
          bytes: u16le(0x3c00, 0xc000, 0x7bff, 0x0001, 0x3555, 0xfc00),
        },
        { name: "b", dtype: "BF16", shape: [4], bytes: u16le(0x3f80, 0x4049, 0xc2f7, 0x0001) },
      ]),
    );
    const t = await readSafetensors(path);
    expect(t.get("h")!.shape).toEqual([2, 3]);
    expect(t.get("h")!.dtype).toBe("F16");
    expect([...t.get("h")!.data]).toEqual([1, -2, 65504, 2 ** -24, 0.333251953125, Number.NEGATIVE_INFINITY]);
    expect([...t.get("b")!.data]).toEqual([1, 3.140625, -123.5, 2 ** -133]);
  });

  it("writes the exact layout: LE header length, sorted names, metadata, 8-byte aligned header", async () => {
    const path = join(dir, "w.safetensors");
    await writeSafetensors(
      path,
      {
        "z.weight": { shape: [2], data: new Float32Array([1.5, -2]) },
        "a.bias": { shape: [1], data: new Float32Array([3]) },
      },
      { metadata: { format: "pt" } },
    );
    const buf = await readFile(path);
    const headerLen = Number(buf.readBigUInt64LE(0));
    expect(headerLen % 8).toBe(0);
    const json = buf.subarray(8, 8 + headerLen).toString("utf8");
    // Padding is spaces after the JSON object.
    expect(json).toMatch(/} *$/);
    const header = JSON.parse(json);
    expect(Object.keys(header)).toEqual(["__metadata__", "a.bias", "z.weight"]);
    expect(header["a.bias"]).toEqual({ dtype: "F32", shape: [1], data_offsets: [0, 4] });
    expect(header["z.weight"]).toEqual({ dtype: "F32", shape: [2], data_offsets: [4, 12] });
    expect(header.__metadata__).toEqual({ format: "pt" });
    const data = buf.subarray(8 + headerLen);
    expect(data.readFloatLE(0)).toBe(3);
    expect(data.readFloatLE(4)).toBe(1.5);
    expect(data.readFloatLE(8)).toBe(-2);
    expect(buf.byteLength).toBe(8 + headerLen + 12);
  });

  it("round-trips BF16 and F16 writes with round-to-nearest-even", async () => {
    const values = new Float32Array([1, -0.1, 3.3, 65504, 1e-3, 0]);
    const bf = join(dir, "bf.safetensors");
    await writeSafetensors(bf, new Map([["x", { shape: [6], data: values }]]), { dtype: "BF16" });
    const bfRead = (await readSafetensors(bf)).get("x")!;
    expect(bfRead.dtype).toBe("BF16");
    // bfloat16 keeps 8 significant bits: relative error at most 2^-9.
    for (let i = 0; i < values.length; i++) {
      expect(Math.abs(bfRead.data[i]! - values[i]!)).toBeLessThanOrEqual(Math.abs(values[i]!) * 2 ** -9);
    }
    expect(bfRead.data[2]).toBe(3.296875);
    const f16 = join(dir, "f16.safetensors");
    await writeSafetensors(f16, new Map([["x", { shape: [6], data: values }]]), { dtype: "F16" });
    const hRead = (await readSafetensors(f16)).get("x")!;
    expect(hRead.data[0]).toBe(1);
    expect(hRead.data[2]).toBe(3.30078125);
    expect(hRead.data[3]).toBe(65504);
    expect(Math.abs(hRead.data[4]! - 1e-3)).toBeLessThan(1e-3 * 2 ** -10);
  });

  it("reads the header alone, without the data", async () => {
    const path = join(dir, "hdr.safetensors");
    await writeSafetensors(
      path,
      { w: { shape: [3, 2], data: new Float32Array(6) } },
      { metadata: { k: "v" } },
    );
    const h = await readSafetensorsHeader(path);
    expect(h.metadata).toEqual({ k: "v" });
    expect(h.tensors.get("w")).toEqual({ dtype: "F32", shape: [3, 2], data_offsets: [0, 24] });
  });

  it("names the tensor with an unsupported dtype", async () => {
    const path = join(dir, "i64.safetensors");
    await writeFile(
      path,
      handBuilt([{ name: "model.ids", dtype: "I64", shape: [1], bytes: [1, 0, 0, 0, 0, 0, 0, 0] }]),
    );
    await expect(readSafetensors(path)).rejects.toThrow(/"model\.ids" has unsupported dtype I64/);
  });

  it("names the tensor whose byte size does not match its shape", async () => {
    const path = join(dir, "bad.safetensors");
    await writeFile(path, handBuilt([{ name: "w", dtype: "F32", shape: [2], bytes: [0, 0, 0, 0] }]));
    await expect(readSafetensors(path)).rejects.toThrow(/"w" holds 4 bytes but shape \[2\]/);
  });

  it("rejects writing a tensor whose data does not fill its shape", async () => {
    await expect(
      writeSafetensors(join(dir, "x.safetensors"), { w: { shape: [2, 2], data: new Float32Array(3) } }),
    ).rejects.toThrow(/"w": shape \[2, 2\] needs 4 values but 3/);
  });
});
