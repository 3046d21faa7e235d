import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { initBackend } from "../../../../worker/engine/backend.ts";
import {
  type AdamWStepAttrs,
  adamwStepValues,
  fusedAdamWTakes,
} from "../../../../worker/engine/kernels/adamw-step.ts";
import { currentBinding, loadBlas } from "../../../../worker/engine/kernels/blas.ts";

const { blas, reason } = loadBlas();
if (!blas) console.warn(`the OpenBLAS binding tests are skipped: ${reason}`);

describe.skipIf(!blas)("the OpenBLAS binding", () => {
  it("multiplies row-major operands at offsets, transposed as asked", () => {
    // a = [[1, 2, 3], [4, 5, 6]] after one float of padding; b = [[1, 0], [0, 1], [1, 1]].
    const a = new Float32Array([9, 1, 2, 3, 4, 5, 6]);
    const b = new Float32Array([1, 0, 0, 1, 1, 1]);
    const c = new Float32Array(5).fill(-1);
    blas!.sgemm(false, false, 2, 2, 3, a, 1, b, 0, c, 1);
    expect(Array.from(c)).toEqual([-1, 4, 5, 10, 11]);
    // The same product from a^T stored as [3, 2] and b^T stored as [2, 3].
    const at = new Float32Array([1, 4, 2, 5, 3, 6]);
    const bt = new Float32Array([1, 0, 1, 0, 1, 1]);
    const c2 = new Float32Array(4);
    blas!.sgemm(true, true, 2, 2, 3, at, 0, bt, 0, c2, 0);
    expect(Array.from(c2)).toEqual([4, 5, 10, 11]);
  });

  it("refuses an operand that does not fit its array instead of reading past it", () => {
    const a = new Float32Array(6);
    const c = new Float32Array(4);
    expect(() => blas!.sgemm(false, false, 2, 2, 3, a, 1, a, 0, c, 0)).toThrow(RangeError);
    expect(() => blas!.sgemm(false, false, 2, 2, 3, a, 0, a, 0, c, 1)).toThrow(/does not fit/);
    expect(() => blas!.sgemm(false, false, 2, 2, 3, a, 0, new Float64Array(6) as never, 0, c, 0)).toThrow(
      TypeError,
    );
  });

  it("computes AdamW's update to the same floats as the JS loop, on views at offsets", () => {
    const n = 1000;
    // Views into one buffer at an offset, as the wasm heap's are.
    const heap = new Float32Array(8 * n + 3);
    const views = Array.from({ length: 7 }, (_, i) => heap.subarray(3 + i * n, 3 + (i + 1) * n));
    const [w, g, m, v, ow, om, ov] = views as [Float32Array, ...Float32Array[]] as Float32Array[];
    for (let i = 0; i < n; i++) {
      w![i] = Math.sin(i);
      g![i] = Math.cos(3 * i) * 1e-3 * (1 + (i % 7));
      m![i] = Math.sin(5 * i) * 1e-4;
      v![i] = (Math.cos(i) * 1e-3) ** 2;
    }
    const a: AdamWStepAttrs = {
      lr: 3e-4,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      decay: 1 - 3e-4 * 0.1,
      t: 7,
    };
    const stepSize = a.lr / (1 - a.beta1 ** a.t);
    const c2 = 1 / (1 - a.beta2 ** a.t);
    // Unclipped (factor 1), then clipped by a factor that is not a power of two.
    for (const scale of [1, Math.fround(0.37)]) {
      const js = { w: new Float32Array(n), m: new Float32Array(n), v: new Float32Array(n) };
      adamwStepValues(w!, g!, m!, v!, js, a, scale);
      blas!.adamw(w!, g!, m!, v!, ow!, om!, ov!, a.beta1, a.beta2, a.epsilon, a.decay, stepSize, c2, scale);
      expect(Array.from(ow!)).toEqual(Array.from(js.w));
      expect(Array.from(om!)).toEqual(Array.from(js.m));
      expect(Array.from(ov!)).toEqual(Array.from(js.v));
    }
    // An eighth array receives the new weights as well, and the three outputs are unchanged.
    const copy = new Float32Array(new SharedArrayBuffer(n * 4));
    const before = Array.from(ow!);
    blas!.adamw(
      w!,
      g!,
      m!,
      v!,
      ow!,
      om!,
      ov!,
      a.beta1,
      a.beta2,
      a.epsilon,
      a.decay,
      stepSize,
      c2,
      Math.fround(0.37),
      copy,
    );
    expect(Array.from(copy)).toEqual(Array.from(ow!));
    expect(Array.from(ow!)).toEqual(before);
    // The factor is the float a clipping pass would have written: the gradient scaled beforehand gives the same.
    const clipped = g!.map((x) => Math.fround(x * Math.fround(0.37)));
    const pre = { w: new Float32Array(n), m: new Float32Array(n), v: new Float32Array(n) };
    adamwStepValues(w!, clipped, m!, v!, pre, a);
    expect(Array.from(ow!)).toEqual(Array.from(pre.w));
    expect(Array.from(om!)).toEqual(Array.from(pre.m));
    // The update moved every weight (a wrong pointer would leave zeros or the inputs).
    expect(ow!.every((x, i) => x !== w![i])).toBe(true);
    // Outside the seven views nothing was written.
    expect(Array.from(heap.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(Array.from(heap.subarray(3 + 7 * n))).toEqual(new Array(n).fill(0));
  });

  it("refuses AdamW arrays of different lengths or types", () => {
    const x = new Float32Array(4);
    const k = [0.9, 0.999, 1e-8, 1, 1e-3, 1, 1] as const;
    expect(() => blas!.adamw(x, x, x, x, x, x, new Float32Array(3), ...k)).toThrow(RangeError);
    expect(() => blas!.adamw(x, x, x, new Float64Array(4) as never, x, x, x, ...k)).toThrow(TypeError);
    expect(() => blas!.adamw(x, x, x, x, x, x, x, ...k, new Float32Array(3))).toThrow(RangeError);
    expect(() => blas!.adamw(x, x, x, x, x, x, x, ...k, new Float64Array(4) as never)).toThrow(TypeError);
  });

  it("gives the wasm backend the compiled AdamW kernel, which takes variables of any size", async () => {
    await initBackend("wasm");
    try {
      expect(fusedAdamWTakes(1 << 20)).toBe(true);
      await initBackend("cpu");
      // The cpu backend's kernel is the JS loop, for small variables only.
      expect(fusedAdamWTakes(100)).toBe(true);
      expect(fusedAdamWTakes(1 << 20)).toBe(false);
    } finally {
      await initBackend("cpu");
    }
    expect(tf.getBackend()).toBe("cpu");
  });

  it("sums squares in double, on a view at an offset", () => {
    const heap = new Float32Array(1003);
    const a = heap.subarray(3);
    let expected = 0;
    for (let i = 0; i < a.length; i++) {
      a[i] = Math.sin(i) * (1 + (i % 5));
      expected += a[i]! * a[i]!;
    }
    heap.fill(1e6, 0, 3);
    expect(blas!.sumSquares(a)).toBeCloseTo(expected, 9);
    expect(blas!.sumSquares(Float32Array.of(3, 4))).toBe(25);
    expect(blas!.sumSquares(new Float32Array(0))).toBe(0);
    expect(() => blas!.sumSquares(new Float64Array(2) as never)).toThrow(TypeError);
  });

  it("is not used when it was built from older sources", () => {
    // Functions every build had, without the newest (the module's properties are not enumerable).
    const older = { sgemm: blas!.sgemm, adamw: blas!.adamw, l1Distance: blas!.l1Distance };
    expect(currentBinding(older).blas).toBeUndefined();
    expect(currentBinding(older).reason).toMatch(/older sources \(npm install rebuilds it\)/);
    expect(currentBinding(blas!).blas).toBe(blas);
  });

  it("names its build", () => {
    expect(blas!.config()).toMatch(/^OpenBLAS \d+\.\d+/);
  });
});
