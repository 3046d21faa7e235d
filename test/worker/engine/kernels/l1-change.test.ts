import * as tf from "@tensorflow/tfjs-core";
import { afterAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../../worker/engine/backend.ts";
import { loadBlas } from "../../../../worker/engine/kernels/blas.ts";
import {
  type ChangeGroup,
  L1_CHANGE,
  l1ChangeConfig,
  l1Changes,
} from "../../../../worker/engine/kernels/l1-change.ts";
import { withKernel } from "../support/with-kernel.ts";

const { blas } = loadBlas();

afterAll(async () => {
  await initBackend("cpu");
});

/** Three components: a LoRA-like pair, a single matrix, and a pair of another shape; divisors as "mean" gives. */
function groups(): ChangeGroup[] {
  const t = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, "float32", seed);
  const shapes = [
    [
      [8, 33],
      [41, 8],
    ],
    [[17, 29]],
    [
      [8, 64],
      [64, 8],
    ],
  ];
  let seed = 1;
  return shapes.map((group) => {
    const current = group.map((s) => t(s, seed++));
    const previous = group.map((s) => t(s, seed++));
    return { current, previous, divisor: current.reduce((n, c) => n + c.size, 0) };
  });
}

/** The same groups' G by tfjs' own ops, in float64 on the host. */
function reference(gs: ChangeGroup[]): number[] {
  return gs.map((g) => {
    let s = 0;
    g.current.forEach((c, i) => {
      const [a, b] = [c.dataSync(), g.previous[i]!.dataSync()];
      for (let k = 0; k < a.length; k++) s += Math.abs(a[k]! - b[k]!);
    });
    return s / g.divisor;
  });
}

describe("GradES's L1 change kernel", () => {
  it("gives each component's summed L1 distance over its divisor, as the composed ops do (wasm)", async () => {
    await initBackend("wasm");
    expect(tf.getKernel(L1_CHANGE, "wasm")).toBeDefined();
    const gs = groups();
    const want = reference(gs);
    const got = Array.from(l1Changes(gs).dataSync());
    const loop = Array.from(withKernel(l1ChangeConfig(undefined), () => l1Changes(gs)).dataSync());
    expect(got).toHaveLength(3);
    got.forEach((g, i) => {
      expect(g).toBeCloseTo(want[i]!, 6);
      expect(loop[i]).toBeCloseTo(want[i]!, 6);
    });
  });

  it("computes a hand-worked case: |1-0| + |2-4| + |3-3.5| = 3.5, and a pair over 5 elements", async () => {
    await initBackend("wasm");
    const one = { current: [tf.tensor1d([1, 2, 3])], previous: [tf.tensor1d([0, 4, 3.5])], divisor: 1 };
    const pair = {
      current: [tf.tensor1d([1, 1]), tf.tensor1d([0, 0, 2])],
      previous: [tf.tensor1d([0, 3]), tf.tensor1d([1, 0, 0])],
      divisor: 5,
    };
    // (1 + 2) + (1 + 0 + 2) = 6, over 5 elements.
    expect(Array.from(l1Changes([one, pair]).dataSync())).toEqual([3.5, Math.fround(6 / 5)]);
  });

  it("takes the composed ops where the backend has no kernel (cpu), with the same values", async () => {
    await initBackend("cpu");
    expect(tf.getKernel(L1_CHANGE, "cpu")).toBeUndefined();
    const gs = groups();
    const want = reference(gs);
    Array.from(l1Changes(gs).dataSync()).forEach((g, i) => {
      expect(g).toBeCloseTo(want[i]!, 5);
    });
  });

  it("refuses tensors whose sizes differ", async () => {
    await initBackend("wasm");
    const bad = { current: [tf.tensor1d([1, 2])], previous: [tf.tensor1d([1, 2, 3])], divisor: 1 };
    expect(() => l1Changes([bad])).toThrow(/changed shape/);
  });
});

describe.skipIf(!blas)("the binding's l1Distance", () => {
  it("sums |a - b| in double and refuses arrays of different lengths", () => {
    const a = new Float32Array(1001).map((_, i) => Math.sin(i));
    const b = new Float32Array(1001).map((_, i) => Math.cos(i));
    let want = 0;
    for (let i = 0; i < a.length; i++) want += Math.abs(a[i]! - b[i]!);
    expect(blas!.l1Distance(a, b)).toBeCloseTo(want, 9);
    expect(() => blas!.l1Distance(a, b.subarray(1))).toThrow(/differ in length/);
  });
});
