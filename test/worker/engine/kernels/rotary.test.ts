import * as tf from "@tensorflow/tfjs-core";
import { afterAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../../worker/engine/backend.ts";
import { loadBlas } from "../../../../worker/engine/kernels/blas.ts";
import { ROTARY } from "../../../../worker/engine/kernels/rotary.ts";
import { applyRotary, rotaryHeadsFirst, rotaryTables } from "../../../../worker/engine/model/rotary.ts";

const { blas } = loadBlas();

afterAll(async () => {
  await initBackend("cpu");
});

describe.skipIf(!blas)("rotary embeddings' compiled kernels on wasm", () => {
  it("rotate and move heads first as the transpose and applyRotary do, and give their gradient", async () => {
    await initBackend("wasm");
    expect(tf.getKernel(ROTARY, "wasm")).toBeDefined();
    const [B, T, H, D] = [2, 7, 3, 8];
    // Tables at an offset, as a decode step with a cache uses them.
    const { cos, sin } = rotaryTables(T, D, 10000, undefined, 5);
    const x = tf.randomNormal([B, T, H, D], 0, 1, "float32", 1) as tf.Tensor4D;
    const w = tf.randomNormal([B, H, T, D], 0, 1, "float32", 2);
    const composed = (a: tf.Tensor) => applyRotary(tf.transpose(a, [0, 2, 1, 3]), cos, sin);
    const fused = rotaryHeadsFirst(x, cos, sin);
    expect(fused.shape).toEqual([B, H, T, D]);
    const want = composed(x).dataSync();
    const got = fused.dataSync();
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i]!, 6);
    const dWant = tf
      .grad((a: tf.Tensor) => tf.sum(tf.mul(w, composed(a))))(x)
      .dataSync();
    const dGot = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(w, rotaryHeadsFirst(a as tf.Tensor4D, cos, sin))))(
      x,
    );
    expect(dGot.shape).toEqual([B, T, H, D]);
    const g = dGot.dataSync();
    for (let i = 0; i < dWant.length; i++) expect(g[i]).toBeCloseTo(dWant[i]!, 6);
    tf.dispose([cos, sin, x, w, fused, dGot]);
  });

  it("at position 0 leaves x unrotated, and at angle π/2 is rotate_half(x)", async () => {
    await initBackend("wasm");
    const x = tf.tensor4d([1, 2, 3, 4], [1, 1, 1, 4]);
    const zero = rotaryHeadsFirst(x, tf.ones([1, 4]), tf.zeros([1, 4]));
    expect(Array.from(zero.dataSync())).toEqual([1, 2, 3, 4]);
    const quarter = rotaryHeadsFirst(x, tf.zeros([1, 4]), tf.ones([1, 4]));
    expect(Array.from(quarter.dataSync())).toEqual([-3, -4, 1, 2]);
  });

  it("refuses arrays that do not match the shape", () => {
    const x = new Float32Array(16);
    const t = new Float32Array(8);
    expect(() => blas!.rotaryForward(1, 2, 2, 4, x, t, t, new Float32Array(15))).toThrow(RangeError);
    expect(() => blas!.rotaryForward(1, 2, 2, 4, x, new Float32Array(4), t, x)).toThrow(RangeError);
    expect(() => blas!.rotaryForward(1, 2, 2, 3, x, t, t, x)).toThrow(TypeError);
  });
});
