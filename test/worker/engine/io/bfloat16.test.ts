import { describe, expect, it } from "vitest";
import { fromBfloat16, toBfloat16 } from "../../../../worker/engine/io/bfloat16.ts";

const roundTrip = (values: number[]) => {
  const halves = toBfloat16(Float32Array.from(values));
  return Array.from(fromBfloat16(halves, new Float32Array(values.length)));
};

describe("bfloat16", () => {
  it("keeps values bfloat16 can hold exactly, and float32's range", () => {
    const exact = [
      0,
      -0,
      1,
      -2,
      0.5,
      3.5,
      2 ** 100,
      -(2 ** -120),
      1.5 * 2 ** -126,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ];
    expect(roundTrip(exact).map((x, i) => (Object.is(x, exact[i]) ? "ok" : x))).toEqual(
      exact.map(() => "ok"),
    );
    expect(roundTrip([65536 * 4])).toEqual([262144]);
  });

  it("rounds to nearest, ties to even, as torch does", () => {
    // Between 1 and the next bfloat16 (1 + 2^-7): below, at and above the midpoint.
    expect(roundTrip([1 + 2 ** -9, 1 + 2 ** -8, 1 + 2 ** -8 + 2 ** -12])).toEqual([1, 1, 1 + 2 ** -7]);
    // A tie with an odd lower neighbour rounds up to the even one.
    expect(roundTrip([1 + 2 ** -7 + 2 ** -8])).toEqual([1 + 2 ** -6]);
    expect(roundTrip([-(1 + 2 ** -8 + 2 ** -12)])).toEqual([-(1 + 2 ** -7)]);
  });

  it("keeps NaN a NaN and rounds the largest float32 to infinity", () => {
    const [nan, big] = roundTrip([Number.NaN, 3.4028234663852886e38]);
    expect(Number.isNaN(nan)).toBe(true);
    expect(big).toBe(Number.POSITIVE_INFINITY);
  });

  it("errs by at most 2^-8 relative (half a unit of its 8-bit significand), and decodes into an offset", () => {
    const values = Float32Array.from(
      { length: 1000 },
      (_, i) => (Math.sin(i * 1.37) + 1.5) * 10 ** ((i % 9) - 4) * (i % 2 ? 1 : -1),
    );
    const back = fromBfloat16(toBfloat16(values), new Float32Array(1003), 3);
    expect(Array.from(back.subarray(0, 3))).toEqual([0, 0, 0]);
    let worst = 0;
    values.forEach((v, i) => {
      worst = Math.max(worst, Math.abs(back[i + 3]! - v) / Math.abs(v));
    });
    expect(worst).toBeLessThanOrEqual(2 ** -8);
    expect(worst).toBeGreaterThan(2 ** -10);
  });
});
