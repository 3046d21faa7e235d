import * as tf from "@tensorflow/tfjs-core";
import { afterAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../../worker/engine/backend.ts";
import { ADD_SHARED, addShared, addSharedConfig } from "../../../../worker/engine/kernels/add-shared.ts";
import { loadBlas } from "../../../../worker/engine/kernels/blas.ts";

const { blas } = loadBlas();

afterAll(async () => {
  await initBackend("cpu");
});

/** Two replicas' gradients in one shared buffer, at offsets, as parallel/replicas.ts lays them out. */
function sharedAddends(n: number): Float32Array[] {
  const buffer = new Float32Array(new SharedArrayBuffer((2 * n + 5) * 4));
  for (let i = 0; i < buffer.length; i++) buffer[i] = Math.sin(3 * i) * (1 + (i % 11)) * 1e-3;
  return [buffer.subarray(5, 5 + n), buffer.subarray(5 + n, 5 + 2 * n)];
}

/** The same sum on the host, added in the kernel's order and rounded to float32 at each add. */
function reference(x: Float32Array, addends: Float32Array[]): number[] {
  return Array.from(x, (v, i) => addends.reduce((s, a) => Math.fround(s + a[i]!), v));
}

describe("addShared (a tensor plus arrays outside the backend)", () => {
  const variants = [
    { name: "the compiled pass", blas },
    { name: "the JS loop", blas: undefined },
  ].filter((v) => v.name === "the JS loop" || v.blas);

  it.each(variants)("on wasm by $name, gives tfjs' chain of adds to the float", async ({ blas: b }) => {
    await initBackend("wasm");
    const registered = tf.getKernel(ADD_SHARED, "wasm")!;
    tf.unregisterKernel(ADD_SHARED, "wasm");
    tf.registerKernel(addSharedConfig(b));
    try {
      const x = tf.randomNormal([37, 29], 0, 1, "float32", 3);
      const xs = Float32Array.from(x.dataSync());
      const addends = sharedAddends(x.size);
      const want = reference(xs, addends);
      const wantSquares = want.reduce((s, v) => s + v * v, 0);
      // x's buffer is shared with a clone: the sum goes to a new one, x is left as it was.
      const clone = tf.clone(x);
      const before = tf.memory().numTensors;
      const squares = new Float64Array(1);
      const out = addShared(x, addends, squares);
      expect(tf.memory().numTensors).toBe(before + 1);
      expect(out.shape).toEqual([37, 29]);
      expect(out.dataId).not.toBe(x.dataId);
      expect(Array.from(out.dataSync())).toEqual(want);
      expect(Array.from(x.dataSync())).toEqual(Array.from(xs));
      expect(squares[0]).toBeCloseTo(wantSquares, 9);
      // Held by x alone, it is overwritten: the sum is x's buffer, which outlives x's disposal.
      clone.dispose();
      const over = addShared(x, addends, squares);
      expect(over.dataId).toBe(x.dataId);
      x.dispose();
      expect(Array.from(over.dataSync())).toEqual(want);
      expect(squares[0]).toBeCloseTo(2 * wantSquares, 9);
      tf.unregisterKernel(ADD_SHARED, "wasm");
      const y = tf.tensor(xs, [37, 29]);
      const composedSquares = new Float64Array(1);
      const composed = addShared(y, addends, composedSquares);
      tf.registerKernel(addSharedConfig(b));
      expect(Array.from(composed.dataSync())).toEqual(want);
      expect(composedSquares[0]).toBeCloseTo(wantSquares, 9);
      // With no addend: a copy of y, whose squares are still counted.
      const alone = addShared(y, [], composedSquares);
      expect(Array.from(alone.dataSync())).toEqual(Array.from(xs));
      expect(composedSquares[0]).toBeCloseTo(wantSquares + xs.reduce((s, v) => s + v * v, 0), 9);
      tf.dispose([y, out, over, composed, alone]);
    } finally {
      if (tf.getKernel(ADD_SHARED, "wasm")) tf.unregisterKernel(ADD_SHARED, "wasm");
      tf.registerKernel(registered);
    }
  });

  it("refuses an array of another size", async () => {
    await initBackend("cpu");
    const x = tf.zeros([4]);
    expect(() => addShared(x, [new Float32Array(3)])).toThrow(/3 floats added to 4/);
    x.dispose();
  });
});

describe.skipIf(!blas)("the binding's addFloats", () => {
  it("adds in place too, returns the sum's squares, and checks its arrays", () => {
    const x = Float32Array.of(1, 2, 3);
    const squares = blas!.addFloats(x, Float32Array.of(0.5, 0.25, Math.fround(0.1)), x);
    const third = Math.fround(3 + Math.fround(0.1));
    expect(Array.from(x)).toEqual([1.5, 2.25, third]);
    expect(squares).toBe(1.5 ** 2 + 2.25 ** 2 + third * third);
    expect(() => blas!.addFloats(x, new Float32Array(2), x)).toThrow(RangeError);
    expect(() => blas!.addFloats(x, new Float64Array(3) as never, x)).toThrow(TypeError);
  });
});
