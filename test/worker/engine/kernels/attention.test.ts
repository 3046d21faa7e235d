import * as tf from "@tensorflow/tfjs-core";
import { afterAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../../worker/engine/backend.ts";
import { ATTENTION, attentionCore } from "../../../../worker/engine/kernels/attention.ts";
import { loadBlas } from "../../../../worker/engine/kernels/blas.ts";
import { buildAttentionMask } from "../../../../worker/engine/model/attention.ts";

const { blas } = loadBlas();

afterAll(async () => {
  await initBackend("cpu");
});

// Two batch items (the second padded at its last two positions), two kv heads of two query heads each.
const [B, nKV, g, T, D] = [2, 2, 2, 6, 4];
/** [B, T]: the second batch item padded at its last two positions. */
const padding = () =>
  tf.tensor2d(
    [
      [1, 1, 1, 1, 1, 1],
      [1, 1, 1, 1, 0, 0],
    ],
    [B, T],
    "int32",
  );

/** The same core of tfjs ops on the cpu backend, the reference: values and gradients of sum(w · out). */
async function reference(q: number[], k: number[], v: number[], w: number[]) {
  await initBackend("cpu");
  const mask = buildAttentionMask(padding(), B, T);
  const core = (qs: tf.Tensor, ks: tf.Tensor, vs: tf.Tensor) => {
    const scores = tf.matMul(qs as tf.Tensor3D, ks as tf.Tensor3D, false, true);
    const probs = tf.softmax(tf.add(tf.reshape(scores, [B, nKV, g, T, T]), mask));
    return tf.matMul(tf.reshape(probs, [B * nKV, g * T, T]), vs as tf.Tensor3D);
  };
  const [qs, ks, vs] = [tensor(q, g * T), tensor(k, T), tensor(v, T)];
  const weights = tensor(w, g * T);
  const out = Array.from(core(qs, ks, vs).dataSync());
  const grads = tf.grads((a, b, c) => tf.sum(tf.mul(weights, core(a!, b!, c!))))([qs, ks, vs]);
  return { out, grads: grads.map((t) => Array.from(t.dataSync())) };
}

function tensor(values: number[], rows: number): tf.Tensor3D {
  return tf.tensor3d(values, [B * nKV, rows, D]);
}

function random(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s / 2 ** 31) * 4 - 2;
  });
}

describe.skipIf(!blas)("attention's compiled kernels on wasm", () => {
  it("give tfjs' composed core's values and gradients, with causal and padding masks", async () => {
    const q = random(B * nKV * g * T * D, 1);
    const k = random(B * nKV * T * D, 2);
    const v = random(B * nKV * T * D, 3);
    const w = random(B * nKV * g * T * D, 4);
    const want = await reference(q, k, v, w);
    await initBackend("wasm");
    expect(tf.getKernel(ATTENTION, "wasm")).toBeDefined();
    const mask = buildAttentionMask(padding(), B, T);
    const [qs, ks, vs, weights] = [tensor(q, g * T), tensor(k, T), tensor(v, T), tensor(w, g * T)];
    const before = tf.memory().numTensors;
    const out = attentionCore(qs, ks, vs, mask, B, T);
    expect(out.shape).toEqual([B * nKV, g * T, D]);
    const got = out.dataSync();
    for (let i = 0; i < want.out.length; i++) expect(got[i]).toBeCloseTo(want.out[i]!, 5);
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const grads = tf.grads((a, b, c) =>
      tf.sum(
        tf.mul(weights, attentionCore(a as tf.Tensor3D, b as tf.Tensor3D, c as tf.Tensor3D, mask, B, T)),
      ),
    )([qs, ks, vs]);
    grads.forEach((grad, j) => {
      const values = grad.dataSync();
      expect(values.length).toBe(want.grads[j]!.length);
      for (let i = 0; i < values.length; i++) expect(values[i]).toBeCloseTo(want.grads[j]![i]!, 5);
    });
    tf.dispose([mask, qs, ks, vs, weights, ...grads]);
  });

  it("weighs every visible key alike when q is 0: a position's output is the mean of v up to it", async () => {
    await initBackend("wasm");
    const mask = buildAttentionMask(undefined, 1, 3);
    const q = tf.zeros([1, 3, 1]) as tf.Tensor3D;
    const kv = tf.tensor3d([3, 6, 12], [1, 3, 1]);
    const [out, probs] = tf
      .engine()
      .runKernel(ATTENTION, { q, k: kv, v: kv, mask }, { batch: 1, length: 3 }) as [tf.Tensor, tf.Tensor];
    expect(Array.from(out.dataSync())).toEqual([3, 4.5, 7]);
    const p = Array.from(probs.dataSync());
    expect(p.slice(0, 5)).toEqual([1, 0, 0, 0.5, 0.5]);
    for (const x of p.slice(6)) expect(x).toBeCloseTo(1 / 3, 7);
    tf.dispose([mask, q, kv, out, probs]);
  });

  it("computes the softmax's exponentials to float32's precision", async () => {
    await initBackend("wasm");
    // One query against 64 keys whose logits span [-20, 0]: each probability against Math.exp in float64.
    const S = 64;
    const logits = Array.from({ length: S }, (_, j) => -20 + (20 * j) / (S - 1));
    const q = tf.ones([1, 1, 1]) as tf.Tensor3D;
    const k = tf.tensor3d(logits, [1, S, 1]);
    const mask = tf.zeros([1, 1, S]);
    const [out, probs] = tf.engine().runKernel(ATTENTION, { q, k, v: k, mask }, { batch: 1, length: 1 }) as [
      tf.Tensor,
      tf.Tensor,
    ];
    const sum = logits.reduce((s, x) => s + Math.exp(x), 0);
    const p = probs.dataSync();
    for (const [j, x] of logits.entries()) {
      expect(Math.abs(p[j]! - Math.exp(x) / sum) / (Math.exp(x) / sum)).toBeLessThan(1e-6);
    }
    tf.dispose([q, k, mask, out, probs]);
  });

  it("refuses arrays that do not match the shape", () => {
    const x = new Float32Array(8);
    expect(() => blas!.attentionForward(1, 1, 2, 2, 2, 2, x, new Float32Array(4), x, x, x, x)).toThrow(
      RangeError,
    );
    expect(() => blas!.attentionForward(1, 1, 3, 2, 2, 2, x, x, x, x, x, x)).toThrow(TypeError);
  });
});
