import * as tf from "@tensorflow/tfjs-core";
import { afterAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../../worker/engine/backend.ts";
import { floatsOf } from "../../../../worker/engine/parallel/tensor-floats.ts";

afterAll(async () => {
  await initBackend("cpu");
});

describe("floatsOf", () => {
  it("reads a wasm tensor's values in place, without a copy", async () => {
    await initBackend("wasm");
    const t = tf.tensor2d([1.5, -2, 3, 4.25, 0, 7], [2, 3]);
    const view = floatsOf(t);
    expect(Array.from(view)).toEqual([1.5, -2, 3, 4.25, 0, 7]);
    // The wasm heap itself: its buffer is the module's memory, not a fresh array of six floats.
    expect(view.buffer.byteLength).toBeGreaterThan(6 * 4);
    const copy = t.dataSync();
    expect(copy.buffer).not.toBe(view.buffer);
    t.dispose();
  });

  it("reads a tensor's values by dataSync on other backends", async () => {
    await initBackend("cpu");
    const t = tf.tensor1d([0.25, 9]);
    expect(Array.from(floatsOf(t))).toEqual([0.25, 9]);
    t.dispose();
  });

  it("refuses a tensor that is not float32", async () => {
    await initBackend("wasm");
    const t = tf.tensor1d([1, 2], "int32");
    expect(() => floatsOf(t)).toThrow(/float32 tensor, got int32/);
    t.dispose();
  });
});
