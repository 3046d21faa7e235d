import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../../worker/engine/backend.ts";
import { summedCrossEntropy } from "../../../../worker/engine/train/loss.ts";

beforeAll(async () => {
  await initBackend("cpu");
});

describe("summedCrossEntropy", () => {
  it("is ln V per predicted token for uniform logits", () => {
    const logits = tf.zeros([2, 4, 7]) as tf.Tensor3D;
    const labels = tf.tensor2d([1, 2, 3, 4, 5, 6, 0, 1], [2, 4], "int32");
    // 2 rows x 3 predicted positions.
    expect(summedCrossEntropy(logits, labels).dataSync()[0]).toBeCloseTo(6 * Math.log(7), 4);
    tf.dispose([logits, labels]);
  });

  it("shifts labels by one, skips -100, and equals the hand-computed value for fixed logits", () => {
    // One row, T = 3, V = 2. Position 0 predicts label[1] = 1, position 1 predicts label[2] = -100 (skipped).
    const logits = tf.tensor3d([
      [
        [0, Math.log(3)],
        [5, -5],
        [9, 9],
      ],
    ]);
    const labels = tf.tensor2d([[0, 1, -100]], [1, 3], "int32");
    // p(1) at position 0 = 3 / (1 + 3).
    expect(summedCrossEntropy(logits, labels).dataSync()[0]).toBeCloseTo(-Math.log(0.75), 5);
    tf.dispose([logits, labels]);
  });

  it("stays finite for very large logits", () => {
    const logits = tf.tensor3d([
      [
        [1000, 0],
        [0, 1000],
      ],
    ]);
    const labels = tf.tensor2d([[0, 1]], [1, 2], "int32");
    expect(summedCrossEntropy(logits, labels).dataSync()[0]).toBeCloseTo(1000, 2);
    tf.dispose([logits, labels]);
  });
});
