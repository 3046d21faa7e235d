import { describe, expect, it } from "vitest";
import { ActivationCache } from "../../../../worker/engine/train/activation-cache.ts";

const WIDTH = 4;
/** `length` positions of example `key`: values that tell examples and positions apart (exact in bfloat16 below 16). */
const states = (key: number, length: number) =>
  Float32Array.from({ length: length * WIDTH }, (_, i) => key + i / 16);

describe("the activation cache", () => {
  it("gives back an example's states, as bfloat16, where it is asked to write them", () => {
    const cache = new ActivationCache(1024, WIDTH);
    cache.atDepth(2);
    expect(cache.write(7, states(7, 3))).toBe(true);
    const out = new Float32Array(20);
    expect(cache.read(7, 3, out, 4)).toBe(true);
    expect(Array.from(out.subarray(4, 16))).toEqual(Array.from(states(7, 3)));
    expect(Array.from(out.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    expect(cache.stats).toMatchObject({ layers: 2, entries: 1, bytes: 3 * WIDTH * 2, hits: 1, misses: 0 });
  });

  it("misses an example it does not hold or holds with another length", () => {
    const cache = new ActivationCache(1024, WIDTH);
    cache.atDepth(1);
    cache.write(1, states(1, 3));
    const out = new Float32Array(64);
    expect(cache.read(2, 3, out, 0)).toBe(false);
    expect(cache.read(1, 4, out, 0)).toBe(false);
    expect(out.every((x) => x === 0)).toBe(true);
    expect(cache.stats.misses).toBe(2);
  });

  it("never holds more bytes than its limit: what does not fit is refused, and the rest stays", () => {
    const limit = 100;
    const cache = new ActivationCache(limit, WIDTH);
    cache.atDepth(1);
    const stored: number[] = [];
    for (let key = 0; key < 20; key++) {
      // 2 to 6 positions: 16 to 48 bytes each.
      if (cache.write(key, states(key, 2 + (key % 5)))) stored.push(key);
      expect(cache.stats.bytes).toBeLessThanOrEqual(limit);
    }
    const { bytes, entries, refused } = cache.stats;
    expect(entries).toBe(stored.length);
    expect(refused).toBe(20 - stored.length);
    expect(stored.length).toBeGreaterThan(1);
    expect(stored.length).toBeLessThan(20);
    expect(bytes).toBe(stored.reduce((n, k) => n + (2 + (k % 5)) * WIDTH * 2, 0));
    // Once full, a later example is still refused, and the first ones still hit.
    expect(cache.write(99, states(99, 6))).toBe(false);
    expect(cache.read(stored[0]!, 2 + (stored[0]! % 5), new Float32Array(64), 0)).toBe(true);
  });

  it("counts a rewritten entry once", () => {
    const cache = new ActivationCache(64, WIDTH);
    cache.atDepth(1);
    cache.write(3, states(3, 4));
    cache.write(3, states(3, 4));
    expect(cache.stats).toMatchObject({ entries: 1, bytes: 32 });
  });

  it("empties when the frozen depth changes: its entries are stale", () => {
    const cache = new ActivationCache(1024, WIDTH);
    cache.atDepth(1);
    cache.write(1, states(1, 2));
    cache.atDepth(1);
    expect(cache.stats.entries).toBe(1);
    cache.atDepth(2);
    expect(cache.stats).toMatchObject({ layers: 2, entries: 0, bytes: 0 });
    expect(cache.read(1, 2, new Float32Array(8), 0)).toBe(false);
  });

  it("holds nothing with a limit of 0, and refuses a negative one", () => {
    const cache = new ActivationCache(0, WIDTH);
    cache.atDepth(1);
    expect(cache.write(1, states(1, 1))).toBe(false);
    expect(() => new ActivationCache(-1, WIDTH)).toThrow(/>= 0/);
    expect(() => cache.write(2, new Float32Array(3))).toThrow(/whole positions/);
  });
});
