import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../../worker/engine/backend.ts";
import { rotateHalf } from "../../../../worker/engine/model/rotary.ts";

describe("rotateHalf", () => {
  beforeAll(async () => {
    await initBackend("wasm");
  });

  it("is cat(-x[..., d/2:], x[..., :d/2]) exactly, on every leading shape", () => {
    const x = tf.tensor3d([1.5, -2, 3.25, 4, 5, 6e-8, -7, 8e5], [1, 2, 4]);
    expect(Array.from(rotateHalf(x).dataSync())).toEqual(
      [-3.25, -4, 1.5, -2, 7, -8e5, 5, 6e-8].map(Math.fround),
    );
    expect(rotateHalf(x).shape).toEqual([1, 2, 4]);
  });

  it("has the gradient of the split and concat it stands for", () => {
    const w = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]);
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(rotateHalf(x), w)))(tf.zeros([2, 4]));
    // d/dx of sum(w * cat(-x2, x1)): x1 gets w's second half, x2 minus its first half.
    expect(Array.from(g.dataSync())).toEqual([3, 4, -1, -2, 7, 8, -5, -6]);
  });
});
