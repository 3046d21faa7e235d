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
      const addends = sharedAddends(x.size);
      const before = tf.memory().numTensors;
      const out = addShared(x, addends);
      expect(tf.memory().numTensors).toBe(before + 1);
      expect(out.shape).toEqual([37, 29]);
      expect(Array.from(out.dataSync())).toEqual(reference(x.dataSync() as Float32Array, addends));
      tf.unregisterKernel(ADD_SHARED, "wasm");
      const composed = addShared(x, addends);
      tf.registerKernel(addSharedConfig(b));
      expect(Array.from(out.dataSync())).toEqual(Array.from(composed.dataSync()));
      // With no addend: a copy of x.
      const alone = addShared(x, []);
      expect(Array.from(alone.dataSync())).toEqual(Array.from(x.dataSync()));
      tf.dispose([x, out, composed, alone]);
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
  it("adds in place too, and checks its arrays", () => {
    const x = Float32Array.of(1, 2, 3);
    blas!.addFloats(x, Float32Array.of(0.5, 0.25, Math.fround(0.1)), x);
    expect(Array.from(x)).toEqual([1.5, 2.25, Math.fround(3 + Math.fround(0.1))]);
    expect(() => blas!.addFloats(x, new Float32Array(2), x)).toThrow(RangeError);
    expect(() => blas!.addFloats(x, new Float64Array(3) as never, x)).toThrow(TypeError);
  });
});
