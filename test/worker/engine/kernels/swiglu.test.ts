import * as tf from "@tensorflow/tfjs-core";
import { afterAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../../worker/engine/backend.ts";
import { loadBlas } from "../../../../worker/engine/kernels/blas.ts";
import { SWIGLU, swiglu } from "../../../../worker/engine/kernels/swiglu.ts";

const { blas } = loadBlas();

afterAll(async () => {
  await initBackend("cpu");
});

/** silu(gate) * up and the gradients of sum(w * it) for gate and up, from tfjs' own ops and autodiff. */
function composed(gate: tf.Tensor, up: tf.Tensor, w: tf.Tensor) {
  const f = (g: tf.Tensor, u: tf.Tensor) => tf.mul(tf.mul(g, tf.sigmoid(g)), u);
  const [dg, du] = tf.grads((g: tf.Tensor, u: tf.Tensor) => tf.sum(tf.mul(w, f(g, u))))([gate, up]);
  return { value: f(gate, up), dg: dg!, du: du! };
}

describe.skipIf(!blas)("SwiGLU's compiled kernels on wasm", () => {
  it("give silu(gate) * up and its gradients as tfjs' composed ops and autodiff do", async () => {
    await initBackend("wasm");
    expect(tf.getKernel(SWIGLU, "wasm")).toBeDefined();
    const gate = tf.randomNormal([37, 50], 0, 3, "float32", 1);
    const up = tf.randomNormal([37, 50], 0, 1, "float32", 2);
    const w = tf.randomNormal([37, 50], 0, 1, "float32", 3);
    const ref = composed(gate, up, w);
    const [dg, du] = tf.grads((g: tf.Tensor, u: tf.Tensor) => tf.sum(tf.mul(w, swiglu(g, u))))([gate, up]);
    const value = swiglu(gate, up);
    const close = (a: tf.Tensor, b: tf.Tensor) => {
      const [x, y] = [a.dataSync(), b.dataSync()];
      for (let i = 0; i < x.length; i++) expect(x[i]).toBeCloseTo(y[i]!, 5);
    };
    close(value, ref.value);
    close(dg!, ref.dg);
    close(du!, ref.du);
    // A hand-computed point: gate 1, up 2 gives 2 s = 1.46212 (s = sigmoid(1) = 0.731059); d/dgate =
    // 2 s (1 + 1 · (1 - s)) = 1.85534.
    const one = tf.tensor1d([1]);
    const two = tf.tensor1d([2]);
    expect(swiglu(one, two).dataSync()[0]).toBeCloseTo(1.46212, 5);
    const [dOne] = tf.grads((g: tf.Tensor) => tf.sum(swiglu(g, two)))([one]);
    expect(dOne!.dataSync()[0]).toBeCloseTo(1.85534, 5);
    tf.dispose([gate, up, w, ref.value, ref.dg, ref.du, dg!, du!, value, one, two, dOne!]);
  });

  it("keeps no tensor beyond its result, forward and backward", async () => {
    await initBackend("wasm");
    const gate = tf.randomNormal([8, 16]);
    const up = tf.randomNormal([8, 16]);
    const before = tf.memory().numTensors;
    const grads = tf.grads((g: tf.Tensor, u: tf.Tensor) => tf.sum(swiglu(g, u)))([gate, up]);
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose([gate, up, ...grads]);
  });

  it("computes the sigmoid to float32's precision over the whole range, without overflow", () => {
    const gate = Float32Array.from({ length: 4001 }, (_, i) => (i - 2000) / 20); // -100 .. 100
    const up = new Float32Array(gate.length).fill(1);
    const sig = new Float32Array(gate.length);
    const out = new Float32Array(gate.length);
    blas!.swigluForward(gate, up, sig, out);
    for (const [i, g] of gate.entries()) {
      const want = 1 / (1 + Math.exp(-g));
      // Relative to the value where float32 has normal numbers; below e^-87 the kernel flushes to 0.
      expect(Math.abs(sig[i]! - want)).toBeLessThanOrEqual(4e-7 * want + 1e-38);
      expect(out[i]).toBe(Math.fround(g * sig[i]!));
    }
    expect(sig[gate.length - 1]).toBe(1);
    expect(sig[0]).toBe(0);
  });

  it("refuses arrays of different lengths", () => {
    const x = new Float32Array(4);
    expect(() => blas!.swigluForward(x, x, x, new Float32Array(5))).toThrow(RangeError);
    expect(() => blas!.swigluBackward(x, x, x, x, x, new Float64Array(4) as never)).toThrow(TypeError);
  });
});

describe("SwiGLU without the compiled kernels", () => {
  it("is the composed function on the cpu backend", async () => {
    await initBackend("cpu");
    expect(tf.getKernel(SWIGLU, "cpu")).toBeUndefined();
    const gate = tf.tensor1d([-2, 0, 1, 3]);
    const up = tf.tensor1d([1, 5, 2, -1]);
    const s = (x: number) => 1 / (1 + Math.exp(-x));
    const want = [-2 * s(-2), 0, 2 * s(1), -3 * s(3)];
    const got = swiglu(gate, up).dataSync();
    for (let i = 0; i < 4; i++) expect(got[i]).toBeCloseTo(want[i]!, 6);
    tf.dispose([gate, up]);
  });
});
