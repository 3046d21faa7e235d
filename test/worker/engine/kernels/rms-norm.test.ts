import * as tf from "@tensorflow/tfjs-core";
import { afterAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../../worker/engine/backend.ts";
import { loadBlas } from "../../../../worker/engine/kernels/blas.ts";
import { RMS_NORM, rmsNorm } from "../../../../worker/engine/kernels/rms-norm.ts";

const { blas } = loadBlas();

afterAll(async () => {
  await initBackend("cpu");
});

/** RMSNorm from tfjs' own ops, and the gradients of sum(r * it) for x and weight by tfjs' autodiff. */
function composed(x: tf.Tensor, weight: tf.Tensor, r: tf.Tensor, eps: number) {
  const f = (a: tf.Tensor, w: tf.Tensor) =>
    tf.mul(tf.mul(a, tf.rsqrt(tf.add(tf.mean(tf.square(a), -1, true), eps))), w);
  const [dx, dw] = tf.grads((a: tf.Tensor, w: tf.Tensor) => tf.sum(tf.mul(r, f(a, w))))([x, weight]);
  return { value: f(x, weight), dx: dx!, dw: dw! };
}

function expectClose(a: tf.Tensor, b: tf.Tensor, digits: number): void {
  const [x, y] = [a.dataSync(), b.dataSync()];
  expect(x.length).toBe(y.length);
  for (let i = 0; i < x.length; i++) expect(x[i]).toBeCloseTo(y[i]!, digits);
}

describe.skipIf(!blas)("RMSNorm's compiled kernels on wasm", () => {
  it("give the norm and its gradients for x and weight as tfjs' composed ops and autodiff do", async () => {
    await initBackend("wasm");
    expect(tf.getKernel(RMS_NORM, "wasm")).toBeDefined();
    // The q/k-norm's shape: a 4-D x normalised over its last axis.
    const x = tf.randomNormal([2, 5, 3, 32], 0, 2, "float32", 1);
    const weight = tf.randomNormal([32], 1, 0.3, "float32", 2);
    const r = tf.randomNormal([2, 5, 3, 32], 0, 1, "float32", 3);
    const ref = composed(x, weight, r, 1e-6);
    const value = rmsNorm(x, weight as tf.Tensor1D, 1e-6);
    const [dx, dw] = tf.grads((a: tf.Tensor, w: tf.Tensor) =>
      tf.sum(tf.mul(r, rmsNorm(a, w as tf.Tensor1D, 1e-6))),
    )([x, weight]);
    expect(value.shape).toEqual(x.shape);
    expectClose(value, ref.value, 5);
    expectClose(dx!, ref.dx, 4);
    expectClose(dw!, ref.dw, 4);
    tf.dispose([x, weight, r, ref.value, ref.dx, ref.dw, value, dx!, dw!]);
  });

  it("matches a hand-computed row", async () => {
    await initBackend("wasm");
    // x = [3, 4]: mean(x²) = 12.5, r = 1 / sqrt(12.5 + eps); weight [1, 2] gives [3r, 8r].
    const x = tf.tensor2d([[3, 4]]);
    const w = tf.tensor1d([1, 2]);
    const r = 1 / Math.sqrt(12.5 + 0.5);
    const got = rmsNorm(x, w, 0.5).dataSync();
    expect(got[0]).toBeCloseTo(3 * r, 6);
    expect(got[1]).toBeCloseTo(8 * r, 6);
    // d sum(y)/dweight = x r.
    const [dw] = tf.grads((v: tf.Tensor) => tf.sum(rmsNorm(x, v as tf.Tensor1D, 0.5)))([w]);
    expect(Array.from(dw!.dataSync()).map((v) => v.toFixed(5))).toEqual([
      (3 * r).toFixed(5),
      (4 * r).toFixed(5),
    ]);
    tf.dispose([x, w, dw!]);
  });

  it("keeps no tensor beyond its results, forward and backward", async () => {
    await initBackend("wasm");
    const x = tf.randomNormal([8, 16]);
    const w = tf.ones([16]) as tf.Tensor1D;
    const before = tf.memory().numTensors;
    const grads = tf.grads((a: tf.Tensor, v: tf.Tensor) => tf.sum(rmsNorm(a, v as tf.Tensor1D, 1e-6)))([
      x,
      w,
    ]);
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose([x, w, ...grads]);
  });

  it("refuses arrays that do not match the norm's shape", () => {
    const x = new Float32Array(6);
    const w = new Float32Array(3);
    expect(() => blas!.rmsNormForward(x, w, 1e-6, new Float32Array(6), new Float32Array(3))).toThrow(
      RangeError,
    );
    expect(() => blas!.rmsNormForward(x, new Float32Array(0), 1e-6, x, w)).toThrow(RangeError);
    const r = new Float32Array(2);
    expect(() => blas!.rmsNormBackward(x, x, w, r, x, new Float32Array(2))).toThrow(/norm's shape/);
  });
});

describe("RMSNorm without the compiled kernels", () => {
  it("is the composed function on the cpu backend", async () => {
    await initBackend("cpu");
    expect(tf.getKernel(RMS_NORM, "cpu")).toBeUndefined();
    const got = rmsNorm(tf.tensor2d([[3, 4]]), tf.tensor1d([1, 2]), 0.5).dataSync();
    expect(got[1]).toBeCloseTo(8 / Math.sqrt(13), 6);
  });
});
