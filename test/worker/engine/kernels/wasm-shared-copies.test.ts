import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../../worker/engine/backend.ts";

interface RefCounting {
  refCount(dataId: object): number;
}
const refs = (t: tf.Tensor) => (tf.backend() as unknown as RefCounting).refCount(t.dataId);

describe("wasm Identity and same-dtype Cast", () => {
  beforeAll(async () => {
    await initBackend("wasm");
  });

  it("share their input's buffer instead of copying it, and the copy outlives its source", () => {
    const x = tf.tensor1d([1, 2, 3]);
    const y = tf.clone(x);
    const z = tf.cast(x, "float32");
    expect(y.dataId).toBe(x.dataId);
    expect(z.dataId).toBe(x.dataId);
    expect(refs(x)).toBe(3);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    y.dispose();
    expect(Array.from(z.dataSync())).toEqual([1, 2, 3]);
    z.dispose();
  });

  it("still converts between dtypes", () => {
    const ints = tf.tensor1d([1, -2, 3], "int32");
    const floats = tf.cast(ints, "float32");
    expect(floats.dataId).not.toBe(ints.dataId);
    expect(floats.dtype).toBe("float32");
    expect(Array.from(floats.dataSync())).toEqual([1, -2, 3]);
    tf.dispose([ints, floats]);
  });

  it("keeps a variable's saved value when the variable is assigned", () => {
    const v = tf.variable(tf.tensor1d([1, 1]));
    const saved = tf.clone(v);
    v.assign(tf.tensor1d([5, 6]));
    expect(Array.from(saved.dataSync())).toEqual([1, 1]);
    expect(Array.from(v.dataSync())).toEqual([5, 6]);
    tf.dispose([v, saved]);
  });
});
