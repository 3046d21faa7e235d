import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { backendLabel, initBackend, wasmFeatures } from "../../../../worker/engine/backend.ts";
import { loadBlas } from "../../../../worker/engine/kernels/blas.ts";
import { unsortedSegmentSumValues } from "../../../../worker/engine/kernels/unsorted-segment-sum.ts";

function embeddingGrad(table: number[][], ids: number[][], upstream: number[][][]): number[][] {
  return tf.tidy(() => {
    const w = tf.tensor2d(table);
    const idx = tf.tensor2d(ids, undefined, "int32");
    const dy = tf.tensor3d(upstream);
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.gather(x, idx), dy)))(w);
    return g.arraySync() as number[][];
  });
}

describe("backend", () => {
  it("auto picks wasm when the native packages are absent, and is idempotent", async () => {
    expect(await initBackend("auto")).toBe("wasm");
    expect(await initBackend("auto")).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
    expect(wasmFeatures().simd).toBe(true);
  });

  it("switches between cpu and wasm on request", async () => {
    expect(await initBackend("cpu")).toBe("cpu");
    expect(tf.getBackend()).toBe("cpu");
    expect(await initBackend("wasm")).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
  });

  it("computes its matmuls on OpenBLAS where the binding is built, says so, and keeps that choice", async () => {
    await initBackend("wasm");
    const built = Boolean(loadBlas().blas);
    expect(wasmFeatures().matMul).toBe(built ? "openblas" : "xnnpack");
    expect(backendLabel("wasm").includes("OpenBLAS matmuls")).toBe(built);
    const other = built ? "xnnpack" : "openblas";
    await expect(initBackend("wasm", { matMul: other })).rejects.toThrow(
      built ? /already started with openblas matmuls/ : /OpenBLAS binding is not built/,
    );
  });

  it("reports a clear error when the native backend is requested but not installed", async () => {
    await expect(initBackend("tensorflow")).rejects.toThrow(/tfjs-node/);
  });

  it("computes gather's gradient on wasm (UnsortedSegmentSum) exactly as on cpu", async () => {
    const table = Array.from({ length: 7 }, (_, i) => [i, -i, 0.5 * i]);
    const ids = [
      [1, 3, 1, 6],
      [0, 3, 3, 2],
    ];
    const upstream = ids.map((row, b) => row.map((_, t) => [b + t * 0.25, 1 - t, 0.1 * (b + 1)]));
    await initBackend("cpu");
    const onCpu = embeddingGrad(table, ids, upstream);
    await initBackend("wasm");
    const onWasm = embeddingGrad(table, ids, upstream);
    expect(onWasm).toEqual(onCpu);
    // Row 3 receives the upstream gradient of three positions: (0,1), (1,1), (1,2).
    expect(onWasm[3]![0]).toBeCloseTo(0.25 + 1.25 + 1.5, 6);
    expect(onWasm[4]).toEqual([0, 0, 0]);
  });

  it("drops segment ids outside [0, numSegments) as TensorFlow does", () => {
    const { values, shape } = unsortedSegmentSumValues([1, 2, 3, 4, 5, 6], [3, 2], [0, -1, 0], 1, 2);
    expect(shape).toEqual([2, 2]);
    expect([...values]).toEqual([6, 8, 0, 0]);
  });
});

describe("wasm BatchMatMul with transposed operands", () => {
  function products(): number[][] {
    return tf.tidy(() => {
      const a = tf.tensor3d(
        Array.from({ length: 2 * 3 * 4 }, (_, i) => Math.sin(i)),
        [2, 3, 4],
      );
      const b = tf.tensor3d(
        Array.from({ length: 2 * 5 * 4 }, (_, i) => Math.cos(i)),
        [2, 5, 4],
      );
      const c = tf.tensor2d(
        Array.from({ length: 4 * 6 }, (_, i) => (i % 7) - 3),
        [4, 6],
      );
      const x = tf.variable(
        tf.tensor2d(
          Array.from({ length: 3 * 4 }, (_, i) => i / 10),
          [3, 4],
        ),
      );
      const gx = tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.matMul(t, c))))(x);
      x.dispose();
      return [
        tf.matMul(a, b, false, true), // [2, 3, 5]
        tf.matMul(b, a, false, true), // [2, 5, 3]
        tf.matMul(a, a, true, false), // [2, 4, 4]
        tf.matMul(c, tf.reshape(a, [6, 4]), true, true), // [6, 6]
        gx,
      ].map((t) => Array.from(t.dataSync()));
    });
  }

  it("gives the cpu backend's results (forward and gradient) without leaking tensors", async () => {
    await initBackend("cpu");
    const onCpu = products();
    await initBackend("wasm");
    const before = tf.memory().numTensors;
    const onWasm = products();
    expect(tf.memory().numTensors).toBe(before);
    for (const [i, values] of onWasm.entries()) {
      expect(values.length).toBe(onCpu[i]!.length);
      for (const [j, v] of values.entries()) expect(v).toBeCloseTo(onCpu[i]![j]!, 4);
    }
  });
});
