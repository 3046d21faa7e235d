// Random weights for a decoder config, for tests: matrices ~ U(-s, s), norm weights around 1 and biases
// nonzero, so every parameter kind affects the output.
import * as tf from "@tensorflow/tfjs-core";
import type { RefTensor } from "./reference-decoder.ts";

export interface ShapeSpec {
  name: string;
  shape: number[];
  kind: "matrix" | "norm" | "bias" | "embedding";
}

export function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

export function randomWeights(specs: ShapeSpec[], seed: number, scale = 0.2): Map<string, RefTensor> {
  const next = lcg(seed);
  const out = new Map<string, RefTensor>();
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const u = next() * 2 - 1;
      data[i] = s.kind === "norm" ? 1 + 0.3 * u : s.kind === "embedding" ? u : u * scale;
    }
    out.set(s.name, { shape: s.shape, data });
  }
  return out;
}

export function toTensors(w: Map<string, RefTensor>): Map<string, tf.Tensor> {
  return new Map([...w].map(([k, v]) => [k, tf.tensor(Float32Array.from(v.data), v.shape)]));
}

/** Largest |a - b| over nested arrays of equal shape. */
export function maxAbsDiff(
  a: number[][][],
  b: number[][][],
  skip?: (bi: number, t: number) => boolean,
): number {
  let m = 0;
  for (const [bi, rows] of a.entries()) {
    for (const [t, row] of rows.entries()) {
      if (skip?.(bi, t)) continue;
      for (const [v, x] of row.entries()) m = Math.max(m, Math.abs(x - b[bi]![t]![v]!));
    }
  }
  return m;
}
