import { describe, expect, it } from "vitest";
import { loadBlas } from "../../../../worker/engine/kernels/blas.ts";

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

  it("names its build", () => {
    expect(blas!.config()).toMatch(/^OpenBLAS \d+\.\d+/);
  });
});
