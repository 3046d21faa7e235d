import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { checkDatasetStream, MAX_LINE_CHARS } from "../../../api/datasets/check-stream.ts";
import { parseExampleLine } from "../../../worker/engine/index.ts";

/** Streams `chunks` through the checker and returns its verdict and the bytes that came out. */
async function run(chunks: (string | Buffer)[]) {
  const check = checkDatasetStream();
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(chunks.map((c) => Buffer.from(c))),
    check.transform,
    new Writable({
      write(chunk, _enc, cb) {
        out.push(chunk);
        cb();
      },
    }),
  );
  return { result: await check.result, bytes: Buffer.concat(out) };
}

const chat = (a: string) =>
  JSON.stringify({
    messages: [
      { role: "user", content: "q" },
      { role: "assistant", content: a },
    ],
  });

describe("dataset check while streaming", () => {
  it("passes the bytes through unchanged and counts examples across chunk boundaries", async () => {
    const text = `${chat("é")}\r\n\n${chat("日本")}\n${chat("last, no newline")}`;
    const bytes = Buffer.from(text);
    // Cut every 7 bytes: lines and multi-byte characters are split between chunks.
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 7) chunks.push(bytes.subarray(i, i + 7));
    const { result, bytes: out } = await run(chunks);
    expect(out.equals(bytes)).toBe(true);
    expect(result.errors.map((e) => e.message)).toEqual([]);
    expect(result).toMatchObject({ examples: 3, format: "chat" });
  });

  it("accepts a UTF-8 byte-order mark at the start, also split across chunks, as the worker's reader does", async () => {
    const text = `\uFEFF${chat("a")}\n${chat("b")}\n`;
    const bytes = Buffer.from(text);
    const { result, bytes: out } = await run([bytes.subarray(0, 2), bytes.subarray(2)]);
    expect(result.errors).toEqual([]);
    expect(result.examples).toBe(2);
    expect(out.equals(bytes)).toBe(true);
    // The worker parses lines with the same function.
    expect(parseExampleLine('\uFEFF{"text": "a"}', 1).format).toBe("text");
    // Only at the start: elsewhere it is an invalid character, named by line.
    const inner = await run([`${chat("a")}\n\uFEFF${chat("b")}\n`]);
    expect(inner.result.errors.map((e) => e.line)).toEqual([2]);
  });

  it("reports problems with the file's own line numbers", async () => {
    const { result } = await run([`${chat("a")}\n\n{"text": "mixed"}\n{broken\n`]);
    expect(result.errors.map((e) => e.line)).toEqual([3, 4]);
    expect(result.errors[0]!.message).toContain("differs from the file's first example");
  });

  it("reports a line too long to buffer instead of holding it", async () => {
    const long = "x".repeat(MAX_LINE_CHARS + 10);
    const { result } = await run([
      `${chat("a")}\n`,
      long.slice(0, 1000),
      long.slice(1000),
      `\n${chat("b")}\n`,
    ]);
    expect(result.examples).toBe(2);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]!.line).toBe(2);
    expect(result.errors[0]!.message).toContain("longer than");
  });

  it("calls an empty file a file with no examples", async () => {
    const { result } = await run([""]);
    expect(result.errors[0]!.message).toContain("no examples");
  });
});
