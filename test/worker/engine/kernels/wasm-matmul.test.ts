import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../../worker/engine/backend.ts";
import { loadBlas } from "../../../../worker/engine/kernels/blas.ts";
import { fastTransposedMatMulConfig } from "../../../../worker/engine/kernels/wasm-matmul.ts";

/** Registers the wrapper over the stock kernel, computing on OpenBLAS or on XNNPACK. */
function useMatMul(kind: "openblas" | "xnnpack"): void {
  const current = tf.getKernel("BatchMatMul", "wasm")!;
  const stock = (current.kernelFunc as { stock?: tf.KernelFunc }).stock ?? current.kernelFunc;
  tf.unregisterKernel("BatchMatMul", "wasm");
  tf.registerKernel({ ...current, kernelFunc: stock });
  const wrapped = fastTransposedMatMulConfig(kind === "openblas" ? loadBlas().blas : undefined)!;
  tf.unregisterKernel("BatchMatMul", "wasm");
  tf.registerKernel(wrapped);
}

const { blas, reason } = loadBlas();
if (!blas) console.warn(`the OpenBLAS matmul tests are skipped: ${reason}`);

/** Batch dims right-aligned and broadcast, as matMul broadcasts them. */
function broadcastBatch(a: number[], b: number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const pad = (s: number[]) => [...Array(rank - s.length).fill(1), ...s];
  const [pa, pb] = [pad(a), pad(b)];
  return pa.map((d, i) => Math.max(d, pb[i]!));
}

/** Every coordinate of a shape, in row-major order. */
function coordinates(shape: number[]): number[][] {
  return shape.reduce<number[][]>(
    (all, d) => all.flatMap((c) => Array.from({ length: d }, (_, j) => [...c, j])),
    [[]],
  );
}

/** Where a batch coordinate of the output lands in an operand of batch shape `own` (size-1 dims broadcast). */
function itemOffset(i: number, out: number[], own: number[]): number {
  const coord = coordinates(out)[i]!.slice(out.length - own.length);
  return coord.reduce((offset, c, d) => offset * own[d]! + (own[d] === 1 ? 0 : c), 0);
}

/** The product computed here by plain loops. */
function reference(
  a: tf.Tensor,
  b: tf.Tensor,
  ta: boolean,
  tb: boolean,
): { shape: number[]; values: number[] } {
  const [ra, ca] = a.shape.slice(-2) as [number, number];
  const [rb, cb] = b.shape.slice(-2) as [number, number];
  const [m, k] = ta ? [ca, ra] : [ra, ca];
  const n = tb ? rb : cb;
  const batchShape = broadcastBatch(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batch = batchShape.reduce((p, d) => p * d, 1);
  const av = a.dataSync(),
    bv = b.dataSync();
  const values: number[] = [];
  for (let i = 0; i < batch; i++) {
    const oa = itemOffset(i, batchShape, a.shape.slice(0, -2)) * ra * ca;
    const ob = itemOffset(i, batchShape, b.shape.slice(0, -2)) * rb * cb;
    for (let r = 0; r < m; r++)
      for (let c = 0; c < n; c++) {
        let s = 0;
        for (let j = 0; j < k; j++) {
          const x = av[oa + (ta ? j * ca + r : r * ca + j)]!;
          const y = bv[ob + (tb ? c * cb + j : j * cb + c)]!;
          s += x * y;
        }
        values.push(s);
      }
  }
  return { shape: [...batchShape, m, n], values };
}

const CASES: [string, number[], number[], boolean, boolean][] = [
  ["plain 2-D", [5, 7], [7, 3], false, false],
  ["x W^T", [5, 7], [3, 7], false, true],
  ["dW = dy^T x", [5, 3], [5, 7], true, false],
  ["both transposed", [7, 5], [3, 7], true, true],
  ["batched (attention's context)", [6, 5, 4], [6, 4, 3], false, false],
  ["batched scores q k^T", [6, 5, 4], [6, 3, 4], false, true],
  ["batched p^T do", [6, 5, 4], [6, 5, 3], true, false],
  ["rank 4", [2, 3, 5, 4], [2, 3, 4, 3], false, false],
  ["one b for every batch item", [4, 5, 4], [1, 4, 3], false, false],
  ["one a for every batch item, rank 2 against 3", [5, 4], [4, 4, 3], false, false],
  ["batch shapes that broadcast both ways", [2, 1, 5, 4], [1, 3, 4, 3], false, false],
];

describe.each([
  ["xnnpack", true],
  ["openblas", Boolean(blas)],
] as const)("wasm BatchMatMul on %s", (kind, runs) => {
  beforeAll(async () => {
    await initBackend("wasm");
    if (runs) useMatMul(kind);
  });
  afterAll(() => {
    // The backend's own choice again, for whatever runs next in this worker.
    useMatMul(blas ? "openblas" : "xnnpack");
  });

  it.skipIf(!runs).each(CASES)("%s: the product of loops, and no tensor left behind", (_, sa, sb, ta, tb) => {
    const a = tf.randomNormal(sa, 0, 1, "float32", 1);
    const b = tf.randomNormal(sb, 0, 1, "float32", 2);
    const before = tf.memory().numTensors;
    const dataIds = tf.engine().backend.numDataIds();
    const out = tf.matMul(a, b, ta, tb);
    const want = reference(a, b, ta, tb);
    expect(out.shape).toEqual(want.shape);
    const got = Array.from(out.dataSync());
    expect(got.length).toBe(want.values.length);
    for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(want.values[i]!, 4);
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.engine().backend.numDataIds()).toBe(dataIds);
    tf.dispose([a, b]);
  });

  it.skipIf(!runs)("gives the gradients of a batched product that the cpu backend gives", async () => {
    const f = (a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.matMul(a, b, false, true), tf.reshape(tf.range(0, 15), [1, 5, 3])));
    const a0 = Array.from(tf.randomNormal([4, 5, 6], 0, 1, "float32", 3).dataSync());
    const b0 = Array.from(tf.randomNormal([4, 3, 6], 0, 1, "float32", 4).dataSync());
    const grads = () => {
      const [ga, gb] = tf.grads(f)([tf.tensor(a0, [4, 5, 6]), tf.tensor(b0, [4, 3, 6])]);
      return [Array.from(ga!.dataSync()), Array.from(gb!.dataSync())];
    };
    const wasm = grads();
    await tf.setBackend("cpu");
    const cpu = grads();
    await tf.setBackend("wasm");
    for (let g = 0; g < 2; g++)
      for (let i = 0; i < cpu[g]!.length; i++) expect(wasm[g]![i]).toBeCloseTo(cpu[g]![i]!, 4);
  });
});
