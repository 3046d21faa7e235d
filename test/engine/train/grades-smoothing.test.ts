import { describe, expect, it } from "vitest";
import { GradesController, type PendingMeasurement } from "../../../worker/engine/train/grades.ts";
import type { GradesOptions } from "../../../worker/engine/train/types.ts";

function options(over: Partial<GradesOptions>): GradesOptions {
  return {
    enabled: true,
    tau: 0,
    alpha: 0,
    metric: "grad_change",
    normalize: "sum",
    interval: 1,
    maxFrozenRatio: 1,
    ...over,
  };
}

/** Feeds G values as host reads of successive measurements (steps 2, 3, …); returns the steps that froze "a". */
function feed(ctl: GradesController, gs: number[]): number[] {
  const frozen: number[] = [];
  gs.forEach((g, i) => {
    if (ctl.isFrozen("a")) return;
    const pending = { step: i + 2, names: ["a"] } as unknown as PendingMeasurement;
    for (const d of ctl.decide(pending, [g])) frozen.push(d.step);
  });
  return frozen;
}

describe("GradES with a smoothed G", () => {
  it("tests the moving average, not one low draw: a single dip below tau does not freeze", () => {
    const gs = [1, 1, 0.1, 1, 1, 0.2, 0.2, 0.2, 0.2, 0.2];
    // Raw G freezes at the first dip (step 4, the third measurement).
    expect(feed(new GradesController([{ name: "a", size: 1 }], options({ tau: 0.5 }), 100), gs)).toEqual([4]);
    // S with beta 0.5: 1, 1, 0.55, 0.775, 0.8875, 0.54375, 0.371875 (< 0.5 at the 7th measurement, step 8).
    const smoothed = new GradesController(
      [{ name: "a", size: 1 }],
      options({ tau: 0.5, smoothing: 0.5 }),
      100,
    );
    expect(feed(smoothed, gs)).toEqual([8]);
    expect(smoothed.metricOf("a")).toBe(0.2);
    expect(smoothed.smoothedMetricOf("a")).toBeCloseTo(0.371875, 12);
  });

  it("takes the relative reference from the average at the end of the grace period, and restores it", () => {
    // 10 steps, alpha 0.3: grace until step 3. S over G = 4, 2, 2, …: 4, 3 (step 3: the reference), 2.5, 2.25,
    // 2.125, 2.0625; relative 0.7 → threshold 2.1, first S below it 2.0625 at step 7.
    const opts = options({ alpha: 0.3, relativeTau: 0.7, smoothing: 0.5 });
    const ctl = new GradesController([{ name: "a", size: 1 }], opts, 10);
    expect(feed(ctl, [4, 2, 2, 2, 2, 2])).toEqual([7]);

    const first = new GradesController([{ name: "a", size: 1 }], opts, 10);
    feed(first, [4, 2, 2]);
    const resumed = new GradesController([{ name: "a", size: 1 }], opts, 10);
    resumed.importState(JSON.parse(JSON.stringify(first.exportState())), new Map());
    const later: number[] = [];
    for (const [i, g] of [2, 2, 2].entries()) {
      const pending = { step: i + 5, names: ["a"] } as unknown as PendingMeasurement;
      for (const d of resumed.decide(pending, [g])) later.push(d.step);
    }
    expect(later).toEqual([7]);
  });
});
