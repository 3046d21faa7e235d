import * as tf from "@tensorflow/tfjs-core";
import { afterAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../../worker/engine/backend.ts";
import { loadBlas } from "../../../../worker/engine/kernels/blas.ts";
import {
  CROSS_ENTROPY,
  crossEntropyWithGradient,
  hasCrossEntropyKernel,
} from "../../../../worker/engine/kernels/cross-entropy.ts";

const { blas } = loadBlas();

afterAll(async () => {
  await initBackend("cpu");
});

function random(n: number, seed: number, scale: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return ((s / 2 ** 31) * 2 - 1) * scale;
  });
}

/** -log softmax(x)[y] and softmax(x) - onehot(y) in float64, from the logits as float32 holds them. */
function reference(row: Float32Array, y: number): { loss: number; grad: number[] } {
  const x = Array.from(row);
  const max = Math.max(...x);
  const sum = x.reduce((s, z) => s + Math.exp(z - max), 0);
  return {
    loss: max + Math.log(sum) - x[y]!,
    grad: x.map((z, j) => Math.exp(z - max) / sum - (j === y ? 1 : 0)),
  };
}

/** The binding's kernel on plain arrays. */
function run(v: number, logits: Float32Array, targets: number[]) {
  const loss = new Float32Array(targets.length);
  const grad = new Float32Array(logits.length);
  blas!.crossEntropy(v, logits, Int32Array.from(targets), loss, grad);
  return { loss, grad };
}

describe.skipIf(!blas)("the compiled cross-entropy", () => {
  it("gives log V and 1/V - onehot for equal logits", () => {
    const v = 1000;
    const { loss, grad } = run(v, new Float32Array(2 * v).fill(3.5), [0, 999]);
    for (const l of loss) expect(l).toBeCloseTo(Math.log(v), 6);
    expect(grad[0]).toBeCloseTo(1 / v - 1, 7);
    expect(grad[1]).toBeCloseTo(1 / v, 7);
    expect(grad[v + 999]).toBeCloseTo(1 / v - 1, 7);
  });

  it("matches float64 within float32's rounding, for wide logits and a vocabulary not a multiple of the vector width", () => {
    const [rows, v] = [5, 4099];
    const logits = Float32Array.from(random(rows * v, 7, 30));
    const targets = [0, 4098, 17, 2048, 17];
    const { loss, grad } = run(v, logits, targets);
    for (let r = 0; r < rows; r++) {
      const want = reference(logits.subarray(r * v, (r + 1) * v), targets[r]!);
      expect(Math.abs(loss[r]! - want.loss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want.loss)));
      let rowSum = 0;
      for (let j = 0; j < v; j++) {
        const g = grad[r * v + j]!;
        expect(Math.abs(g - want.grad[j]!)).toBeLessThan(1e-6 * Math.abs(want.grad[j]!) + 1e-12);
        rowSum += g;
      }
      expect(Math.abs(rowSum)).toBeLessThan(1e-5);
    }
  });

  it("gives the loss's derivative: central differences in float64 agree with the gradient", () => {
    const v = 7;
    const logits = Float32Array.from(random(v, 3, 2));
    const { grad } = run(v, logits, [4]);
    for (let j = 0; j < v; j++) {
      const at = (d: number) => {
        const x = Float32Array.from(logits);
        const plus = Array.from(x);
        plus[j] = plus[j]! + d;
        const max = Math.max(...plus);
        return max + Math.log(plus.reduce((s, z) => s + Math.exp(z - max), 0)) - plus[4]!;
      };
      const h = 1e-5;
      expect(grad[j]).toBeCloseTo((at(h) - at(-h)) / (2 * h), 5);
    }
  });

  it("keeps a target far below the others exact, and a far-below word's probability 0", () => {
    const { loss, grad } = run(3, Float32Array.of(0, 100, 0), [0]);
    expect(loss[0]).toBeCloseTo(100, 4);
    expect(grad[0]).toBe(-1);
    expect(grad[1]).toBeCloseTo(1, 6);
    expect(grad[2]).toBe(0);
  });

  it("refuses targets outside the vocabulary and arrays that do not match", () => {
    expect(() => run(3, new Float32Array(6), [0, 3])).toThrow(/outside \[0, V\)/);
    expect(() => run(3, new Float32Array(6), [-1, 0])).toThrow(RangeError);
    expect(() => run(4, new Float32Array(6), [0, 1])).toThrow(/do not match/);
    const f = new Float32Array(6);
    expect(() => blas!.crossEntropy(3, f, Float32Array.of(0, 1) as never, new Float32Array(2), f)).toThrow(
      TypeError,
    );
    expect(() => blas!.crossEntropy(0, f, Int32Array.of(0, 1), new Float32Array(2), f)).toThrow(TypeError);
  });

  it("runs as the wasm backend's kernel on tensors, and leaks nothing", async () => {
    await initBackend("wasm");
    expect(tf.getKernel(CROSS_ENTROPY, "wasm")).toBeDefined();
    expect(hasCrossEntropyKernel()).toBe(true);
    const values = random(2 * 9, 11, 5);
    const before = tf.memory().numTensors;
    const [loss, grad] = tf.tidy(() =>
      crossEntropyWithGradient(tf.tensor2d(values, [2, 9]), tf.tensor1d([8, 2], "int32")),
    );
    expect(loss!.shape).toEqual([2]);
    expect(grad!.shape).toEqual([2, 9]);
    const want = [
      reference(Float32Array.from(values.slice(0, 9)), 8),
      reference(Float32Array.from(values.slice(9)), 2),
    ];
    const l = loss!.dataSync();
    const g = grad!.dataSync();
    want.forEach((w, r) => {
      expect(l[r]).toBeCloseTo(w.loss, 5);
      for (const [j, x] of w.grad.entries()) expect(g[r * 9 + j]).toBeCloseTo(x, 6);
    });
    tf.dispose([loss!, grad!]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
