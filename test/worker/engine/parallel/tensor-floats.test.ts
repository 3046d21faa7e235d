import * as tf from "@tensorflow/tfjs-core";
import { afterAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../../worker/engine/backend.ts";
import { floatsOf, overwriteVariable } from "../../../../worker/engine/parallel/tensor-floats.ts";

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

describe("overwriteVariable", () => {
  it("writes into a wasm variable's own buffer, with no new tensor", async () => {
    await initBackend("wasm");
    // Created in a tidy, so the variable is the only holder of its buffer.
    const v = tf.tidy(() => tf.variable(tf.tensor1d([1, 2, 3])));
    const before = tf.memory().numTensors;
    const id = v.dataId;
    const fresh = new Float32Array(new SharedArrayBuffer(12));
    fresh.set([4, 5, 6]);
    expect(overwriteVariable(v, fresh)).toBe(true);
    expect(v.dataId).toBe(id);
    expect(Array.from(v.dataSync())).toEqual([4, 5, 6]);
    expect(tf.memory().numTensors).toBe(before);
    v.dispose();
  });

  it("leaves a buffer another tensor shares, a wrong length and other backends to the caller", async () => {
    await initBackend("wasm");
    // The initial tensor still holds the buffer, and so does a clone (the wasm Identity shares it).
    const initial = tf.tensor1d([1, 2]);
    const v = tf.variable(initial);
    expect(overwriteVariable(v, Float32Array.of(7, 8))).toBe(false);
    initial.dispose();
    const clone = tf.clone(v);
    expect(overwriteVariable(v, Float32Array.of(7, 8))).toBe(false);
    expect(Array.from(clone.dataSync())).toEqual([1, 2]);
    clone.dispose();
    expect(overwriteVariable(v, Float32Array.of(7, 8, 9))).toBe(false);
    expect(overwriteVariable(v, Float32Array.of(7, 8))).toBe(true);
    v.dispose();
    await initBackend("cpu");
    const c = tf.variable(tf.tensor1d([1, 2]));
    expect(overwriteVariable(c, Float32Array.of(7, 8))).toBe(false);
    c.dispose();
  });
});
