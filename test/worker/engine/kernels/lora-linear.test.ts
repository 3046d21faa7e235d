import * as tf from "@tensorflow/tfjs-core";
import { afterAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../../worker/engine/backend.ts";
import { loadBlas } from "../../../../worker/engine/kernels/blas.ts";
import {
  hasLoraLinearKernel,
  LORA_LINEAR,
  loraLinear,
} from "../../../../worker/engine/kernels/lora-linear.ts";

const { blas } = loadBlas();

afterAll(async () => {
  await initBackend("cpu");
});

const SCALING = 16 / 3; // not a power of two: the scaling is applied where the composed form applies it

/** x W^T + s (x A^T) B^T by tfjs' own ops, with autodiff's gradients of sum(probe * y) for x, A and B. */
function composed(x: tf.Tensor2D, w: tf.Tensor2D, a: tf.Tensor2D, b: tf.Tensor2D, probe: tf.Tensor2D) {
  const f = (xi: tf.Tensor2D, ai: tf.Tensor2D, bi: tf.Tensor2D) =>
    tf.add(
      tf.matMul(xi, w, false, true),
      tf.matMul(tf.mul(tf.matMul(xi, ai, false, true), SCALING), bi, false, true),
    );
  const [dx, da, db] = tf.grads((xi: tf.Tensor, ai: tf.Tensor, bi: tf.Tensor) =>
    tf.sum(tf.mul(probe, f(xi as tf.Tensor2D, ai as tf.Tensor2D, bi as tf.Tensor2D))),
  )([x, a, b]);
  return { y: f(x, a, b), dx: dx!, da: da!, db: db! };
}

function close(got: tf.Tensor, want: tf.Tensor) {
  expect(got.shape).toEqual(want.shape);
  const [g, w] = [got.dataSync(), want.dataSync()];
  for (let i = 0; i < g.length; i++) expect(g[i]).toBeCloseTo(w[i]!, 4);
}

describe.skipIf(!blas)("LoRA's projection as one kernel on wasm", () => {
  const shapes = () => {
    const [n, inF, outF, r] = [37, 24, 40, 4];
    return {
      x: tf.randomNormal([n, inF], 0, 1, "float32", 1) as tf.Tensor2D,
      w: tf.randomNormal([outF, inF], 0, 0.3, "float32", 2) as tf.Tensor2D,
      a: tf.randomNormal([r, inF], 0, 0.3, "float32", 3) as tf.Tensor2D,
      b: tf.randomNormal([outF, r], 0, 0.3, "float32", 4) as tf.Tensor2D,
      probe: tf.randomNormal([n, outF], 0, 1, "float32", 5) as tf.Tensor2D,
    };
  };

  it("gives the composed ops' output and autodiff's gradients for x, A and B", async () => {
    await initBackend("wasm");
    expect(hasLoraLinearKernel()).toBe(true);
    const { x, w, a, b, probe } = shapes();
    const ref = composed(x, w, a, b, probe);
    const f = (xi: tf.Tensor2D, ai: tf.Tensor2D, bi: tf.Tensor2D) => loraLinear(xi, w, ai, bi, SCALING, true);
    const [dx, da, db] = tf.grads((xi: tf.Tensor, ai: tf.Tensor, bi: tf.Tensor) =>
      tf.sum(tf.mul(probe, f(xi as tf.Tensor2D, ai as tf.Tensor2D, bi as tf.Tensor2D))),
    )([x, a, b]);
    close(f(x, a, b), ref.y);
    close(dx!, ref.dx);
    close(da!, ref.da);
    close(db!, ref.db);
  });

  it("passes the gradient to x alone for a frozen pair, the same dx", async () => {
    await initBackend("wasm");
    const { x, w, a, b, probe } = shapes();
    const ref = composed(x, w, a, b, probe);
    const profile = await tf.profile(() => {
      const [dx] = tf.grads((xi: tf.Tensor) =>
        tf.sum(tf.mul(probe, loraLinear(xi as tf.Tensor2D, w, a, b, SCALING, false))),
      )([x]);
      close(dx!, ref.dx);
      return dx!;
    });
    const grad = profile.kernels.find((k) => k.name === `${LORA_LINEAR}Grad`)!;
    expect(grad.outputShapes).toEqual([[37, 24]]);
  });

  it("computes a hand-worked case: x = [1, 2], W = I, A = [1, 1], B = [[1], [0]], s = 2", async () => {
    await initBackend("wasm");
    const x = tf.tensor2d([[1, 2]]);
    const w = tf.tensor2d([
      [1, 0],
      [0, 1],
    ]);
    const a = tf.tensor2d([[1, 1]]);
    const b = tf.tensor2d([[1], [0]]);
    // down = 2 (1 + 2) = 6; y = x + 6 [1, 0] = [7, 2].
    expect(Array.from(loraLinear(x, w, a, b, 2, false).dataSync())).toEqual([7, 2]);
  });

  it("is left to the composed ops where the backend has no such kernel (cpu)", async () => {
    await initBackend("cpu");
    expect(tf.getKernel(LORA_LINEAR, "cpu")).toBeUndefined();
    expect(hasLoraLinearKernel()).toBe(false);
  });
});
