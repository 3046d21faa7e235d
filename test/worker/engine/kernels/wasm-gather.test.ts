import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../../worker/engine/backend.ts";

/** The same gather on the cpu backend, as plain numbers. */
async function onCpu(f: () => tf.Tensor): Promise<{ shape: number[]; values: number[] }> {
  await tf.setBackend("cpu");
  const t = f();
  const r = { shape: t.shape, values: Array.from(t.dataSync()) };
  t.dispose();
  await tf.setBackend("wasm");
  return r;
}

const table = () =>
  tf.tensor3d(
    Array.from({ length: 5 * 3 * 2 }, (_, i) => i * 0.5 - 3),
    [5, 3, 2],
  );

describe("wasm GatherV2 (rows along axis 0)", () => {
  beforeAll(async () => {
    await initBackend("wasm");
  });

  const CASES: [string, () => tf.Tensor][] = [
    [
      "rows of a rank-3 table by a 2-D index, repeats included",
      () =>
        tf.gather(
          table(),
          tf.tensor2d(
            [
              [4, 0],
              [0, 2],
            ],
            undefined,
            "int32",
          ),
        ),
    ],
    ["int32 values", () => tf.gather(tf.tensor1d([7, 8, 9], "int32"), tf.tensor1d([2, 2, 0], "int32"))],
    ["along axis 1 (the stock kernel)", () => tf.gather(table(), tf.tensor1d([2, 0], "int32"), 1)],
  ];

  it.each(CASES)("%s: the cpu backend's result, and no tensor left behind", async (_, f) => {
    const want = await onCpu(f);
    const before = tf.memory().numTensors;
    const got = tf.tidy(f);
    expect(got.shape).toEqual(want.shape);
    expect(Array.from(got.dataSync())).toEqual(want.values);
    got.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("refuses an index outside the table, leaving no tensor behind", () => {
    const x = table();
    const ids = tf.tensor1d([1, 5], "int32");
    const dataIds = tf.engine().backend.numDataIds();
    expect(() => tf.gather(x, ids)).toThrow(/index value 5 is not in \[0, 4\]/);
    expect(tf.engine().backend.numDataIds()).toBe(dataIds);
    tf.dispose([x, ids]);
  });
});
