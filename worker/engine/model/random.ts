// A small seeded PRNG for weight initialisation, so a seed gives the same weights on every backend and
// machine (tfjs' own random ops differ between backends).

/** Mixes a seed and a string (e.g. a tensor name) into a 32-bit seed, so each tensor has its own stream. */
export function deriveSeed(seed: number, label: string): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h = Math.imul(h ^ label.charCodeAt(i), 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
  }
  return Math.imul(h ^ (h >>> 16), 0xc2b2ae35) >>> 0;
}

/** mulberry32: uniform floats in [0, 1). */
export function uniformSource(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function fillUniform(out: Float32Array, low: number, high: number, seed: number): Float32Array {
  const next = uniformSource(seed);
  for (let i = 0; i < out.length; i++) out[i] = low + (high - low) * next();
  return out;
}

/** Normal(0, std) by Box–Muller. */
export function fillNormal(out: Float32Array, std: number, seed: number): Float32Array {
  const next = uniformSource(seed);
  for (let i = 0; i < out.length; i += 2) {
    const u1 = 1 - next();
    const u2 = next();
    const r = Math.sqrt(-2 * Math.log(u1)) * std;
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}
