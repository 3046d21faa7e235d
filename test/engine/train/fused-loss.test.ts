import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../worker/engine/backend.ts";
import { fusedCrossEntropySum, shiftedTargets } from "../../../worker/engine/train/fused-loss.ts";
import { summedCrossEntropy } from "../../../worker/engine/train/loss.ts";

beforeAll(async () => {
  await initBackend("wasm");
});

describe("fusedCrossEntropySum", () => {
  it("equals the plain logits loss, value and gradient, across several chunks and ignored rows", () => {
    const [B, T, H, V] = [2, 5, 6, 11];
    const hidden = tf.randomNormal([B * T, H], 0, 1, "float32", 1) as tf.Tensor2D;
    const weight = tf.randomNormal([V, H], 0, 1, "float32", 2) as tf.Tensor2D;
    const labels = new Int32Array([3, 1, -100, 7, 10, 0, 4, 4, -100, -100]);
    const labels2d = tf.tensor2d(labels, [B, T], "int32");
    const plain = (h: tf.Tensor) =>
      summedCrossEntropy(
        tf.reshape(tf.matMul(h as tf.Tensor2D, weight, false, true), [B, T, V]) as tf.Tensor3D,
        labels2d,
      );
    const fused = (h: tf.Tensor) =>
      fusedCrossEntropySum(h as tf.Tensor2D, weight, shiftedTargets(labels, B, T), 2);
    const a = tf.valueAndGrad(plain)(hidden);
    const b = tf.valueAndGrad(fused)(hidden);
    expect(b.value.dataSync()[0]).toBeCloseTo(a.value.dataSync()[0]!, 4);
    const diff = tf.max(tf.abs(tf.sub(a.grad, b.grad))).dataSync()[0]!;
    expect(diff).toBeLessThan(1e-5);
    expect(tf.max(tf.abs(a.grad)).dataSync()[0]).toBeGreaterThan(1e-3);
    // Rows predicting -100 (and each row's last position) get no gradient.
    expect(Array.from(tf.slice(b.grad, [1, 0], [1, H]).dataSync()).every((x) => x === 0)).toBe(true);
    tf.dispose([hidden, weight, labels2d, a.value, a.grad, b.value, b.grad]);
  });

  it("shifts labels so row (b, t) predicts labels[b, t + 1]", () => {
    expect(Array.from(shiftedTargets(new Int32Array([1, 2, 3, 4, 5, 6]), 2, 3))).toEqual([
      2, 3, -100, 5, 6, -100,
    ]);
  });
});
