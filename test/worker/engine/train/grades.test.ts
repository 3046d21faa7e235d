import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../../worker/engine/backend.ts";
import {
  type FreezeDecision,
  GradesController,
  type PendingMeasurement,
  SIGNAL_BETA,
} from "../../../../worker/engine/train/grades.ts";
import type { GradesOptions } from "../../../../worker/engine/train/types.ts";

beforeAll(async () => {
  await initBackend("cpu");
});

function options(over: Partial<GradesOptions> = {}): GradesOptions {
  return {
    enabled: true,
    tau: 0.5,
    alpha: 0,
    metric: "grad_change",
    normalize: "sum",
    interval: 1,
    maxFrozenRatio: 1,
    ...over,
  };
}

/**
 * Drives a controller with scripted "gradients": series[name][t - 1] is the value every element of that
 * component's tensors takes at step t. Returns the freeze decisions by step.
 */
function run(
  ctl: GradesController,
  series: Record<string, number[]>,
  shapes: Record<string, number[][]>,
  from = 1,
  to = Math.max(...Object.values(series).map((s) => s.length)),
): FreezeDecision[] {
  const steps = to;
  const out: FreezeDecision[] = [];
  for (let step = from; step <= steps; step++) {
    const current = new Map<string, tf.Tensor[]>();
    for (const [name, values] of Object.entries(series)) {
      if (ctl.isFrozen(name)) continue;
      current.set(
        name,
        shapes[name]!.map((shape) => tf.fill(shape, values[step - 1]!)),
      );
    }
    out.push(...ctl.observe(step, current));
    for (const ts of current.values()) for (const t of ts) t.dispose();
  }
  return out;
}

const one = (n: number) => [[n]];

describe("GradES controller on scripted gradient sequences", () => {
  it("freezes a component exactly at the first post-grace step whose change falls below tau", () => {
    const ctl = new GradesController(
      [
        { name: "a", size: 1 },
        { name: "b", size: 1 },
      ],
      options({ alpha: 0.3, tau: 0.5 }),
      10,
    );
    expect(ctl.graceSteps).toBe(3);
    // a: changes 10, 10, 0.1 (step 4) -> freezes at 4.  b: changes 1 every step -> never.
    const frozen = run(
      ctl,
      { a: [0, 10, 20, 20.1, 20.2, 20.3], b: [0, 1, 2, 3, 4, 5] },
      { a: one(1), b: one(1) },
    );
    expect(frozen.map((f) => [f.name, f.step])).toEqual([["a", 4]]);
    expect(frozen[0]!.metric).toBeCloseTo(0.1, 4);
    expect(ctl.frozenStep("a")).toBe(4);
    expect(ctl.frozenStep("b")).toBeNull();
    expect(ctl.frozenFraction).toBe(0.5);
    ctl.dispose();
  });

  it("holds every component through the grace period however small its change", () => {
    const ctl = new GradesController([{ name: "a", size: 1 }], options({ alpha: 0.5, tau: 0.5 }), 10);
    expect(ctl.graceSteps).toBe(5);
    // Change is 0.01 from step 2 on: it may only freeze at step 5.
    const frozen = run(ctl, { a: [0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06] }, { a: one(1) });
    expect(frozen.map((f) => f.step)).toEqual([5]);
    ctl.dispose();
  });

  it("never freezes on a first measurement, even with no grace period and zero gradients", () => {
    const ctl = new GradesController(
      [
        { name: "a", size: 1 },
        { name: "b", size: 1 },
      ],
      options({ alpha: 0, tau: 0.5 }),
      10,
    );
    const decisions: FreezeDecision[][] = [];
    for (let step = 1; step <= 3; step++) {
      decisions.push(run(ctl, { a: [0, 0, 0], b: [0, 0, 0] }, { a: one(1), b: one(1) }, step, step));
    }
    // Step 1 has no previous gradient, step 2 is the first measurement: only step 3 may freeze.
    expect(decisions[0]).toEqual([]);
    expect(decisions[1]).toEqual([]);
    expect(decisions[2]!.map((d) => d.name)).toEqual(["a", "b"]);
    expect(ctl.shouldStop()).toBe(true);
    ctl.dispose();
  });

  it("with relative_tau freezes below that fraction of the component's own first post-grace change", () => {
    const ctl = new GradesController(
      [{ name: "a", size: 1 }],
      options({ alpha: 0, tau: 1e9, relativeTau: 0.25 }),
      20,
    );
    // Changes 10, 8, 6, 4, 2 at steps 2..6: the reference is 10, so it freezes when G < 2.5, at step 6
    // (an absolute tau of 1e9 would have frozen it at step 3).
    const frozen = run(ctl, { a: [0, 10, 18, 24, 28, 30, 31] }, { a: one(1) });
    expect(frozen.map((f) => f.step)).toEqual([6]);
    ctl.dispose();
  });

  it("normalize mean divides the L1 change by the element count; sum does not", () => {
    const series = { a: [0, 1, 2, 3] };
    const shapes = { a: [[2, 2]] };
    const sum = new GradesController([{ name: "a", size: 4 }], options({ normalize: "sum", tau: 2 }), 10);
    const mean = new GradesController([{ name: "a", size: 4 }], options({ normalize: "mean", tau: 2 }), 10);
    expect(run(sum, series, shapes)).toEqual([]);
    expect(sum.metricOf("a")).toBeCloseTo(4, 6);
    const frozen = run(mean, series, shapes);
    expect(mean.metricOf("a")).toBeCloseTo(1, 6);
    expect(frozen.map((f) => f.step)).toEqual([3]);
    sum.dispose();
    mean.dispose();
  });

  it("sums a LoRA pair's A and B changes into one metric", () => {
    const ctl = new GradesController([{ name: "q", size: 6 + 4 }], options({ normalize: "sum", tau: 0 }), 10);
    // A [2,3] and B [2,2] both move by 0.5 per element: 0.5 * 6 + 0.5 * 4 = 5.
    run(
      ctl,
      { q: [0, 0.5] },
      {
        q: [
          [2, 3],
          [2, 2],
        ],
      },
    );
    expect(ctl.metricOf("q")).toBeCloseTo(5, 6);
    ctl.dispose();
  });

  it("measures only every `interval` steps, against the step just before", () => {
    const ctl = new GradesController([{ name: "a", size: 1 }], options({ interval: 3, tau: 0.5 }), 30);
    // Values 0, 5, 5.1, 20, 40, 40.2, ...: steps 3 and 6 are measured, each against steps 2 and 5.
    const frozen = run(ctl, { a: [0, 5, 5.1, 20, 40, 40.2, 60, 80, 80.1] }, { a: one(1) });
    expect(frozen.map((f) => f.step)).toEqual([6]);
    expect(ctl.metricOf("a")).toBeCloseTo(0.2, 4);
  });

  it("asks to stop once the frozen fraction reaches max_frozen_ratio", () => {
    const ctl = new GradesController(
      [
        { name: "a", size: 1 },
        { name: "b", size: 1 },
      ],
      options({ maxFrozenRatio: 0.5 }),
      10,
    );
    run(ctl, { a: [0, 10, 10], b: [0, 10, 20] }, { a: one(1), b: one(1) });
    expect(ctl.frozenCount).toBe(1);
    expect(ctl.shouldStop()).toBe(true);
    ctl.dispose();
  });

  it("computes all components' metrics into one tensor (one host read per step)", () => {
    const names = ["a", "b", "c"];
    const ctl = new GradesController(
      names.map((name) => ({ name, size: 4 })),
      options(),
      10,
    );
    const make = (v: number) => new Map(names.map((n) => [n, [tf.fill([4], v)]]));
    const first = make(0);
    expect(ctl.measure(1, first)).toBeNull();
    const second = make(1);
    const pending = ctl.measure(2, second)!;
    expect(pending.names).toEqual(names);
    expect(pending.values.shape).toEqual([3]);
    expect(Array.from(pending.values.dataSync())).toEqual([4, 4, 4]);
    pending.values.dispose();
    for (const m of [first, second]) for (const ts of m.values()) for (const t of ts) t.dispose();
    ctl.dispose();
  });

  it("keeps the live tensor count flat across steps", () => {
    const ctl = new GradesController([{ name: "a", size: 4 }], options({ tau: -1 }), 100);
    run(ctl, { a: [0, 1, 2] }, { a: [[4]] });
    const before = tf.memory().numTensors;
    run(ctl, { a: Array.from({ length: 40 }, (_, i) => i) }, { a: [[4]] }, 4);
    expect(tf.memory().numTensors).toBe(before);
    ctl.dispose();
  });

  it("restores its state, previous gradients included, and then decides as the uninterrupted controller does", () => {
    const comps = [
      { name: "a", size: 1 },
      { name: "b", size: 1 },
      { name: "c", size: 1 },
    ];
    const series = {
      a: [0, 4, 4.1, 4.2, 4.3, 4.4, 4.5, 4.6],
      b: [0, 3, 6, 9, 9.2, 9.3, 9.4, 9.5],
      c: [0, 1, 2, 3, 4, 5, 6, 7],
    };
    const shapes = { a: one(1), b: one(1), c: one(1) };
    const opts = options({ alpha: 0.25, relativeTau: 0.5 });
    const whole = new GradesController(comps, opts, 8);
    const expected = run(whole, series, shapes);

    const first = new GradesController(comps, opts, 8);
    const truncated = Object.fromEntries(Object.entries(series).map(([k, v]) => [k, v.slice(0, 4)]));
    const part1 = run(first, truncated, shapes);
    const state = JSON.parse(JSON.stringify(first.exportState()));
    const prev = new Map([...first.prevTensors()].map(([k, t]) => [k, tf.tensor(t.dataSync(), t.shape)]));
    first.dispose();

    const resumed = new GradesController(comps, opts, 8);
    resumed.importState(state, prev);
    expect(resumed.isFrozen("a")).toBe(first.isFrozen("a"));
    const part2 = run(resumed, series, shapes, 5);
    expect([...part1, ...part2]).toEqual(expected);
    expect(expected.length).toBeGreaterThan(0);
    whole.dispose();
    resumed.dispose();
  });
});

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

describe("GradES relative to the peak", () => {
  it("takes the reference from the largest G so far, grace period included", () => {
    // 20 steps, alpha 0.25: grace until step 5. G at steps 2..: 1, 8, 4, 3, 2, 1.5; the peak is 8 (step 3, in the
    // grace period), relative 0.25 → threshold 2; G 1.5 < 2 first at step 7. Relative to the grace end (G 3 at
    // step 5) the threshold would be 0.75 and nothing would freeze.
    const gs = [1, 8, 4, 3, 2, 1.5];
    const peak = new GradesController(
      [{ name: "a", size: 1 }],
      options({ alpha: 0.25, relativeTau: 0.25, relativeReference: "peak" }),
      20,
    );
    expect(feed(peak, gs)).toEqual([7]);
    const graceEnd = new GradesController(
      [{ name: "a", size: 1 }],
      options({ alpha: 0.25, relativeTau: 0.25 }),
      20,
    );
    expect(feed(graceEnd, gs)).toEqual([]);
  });
});

describe("GradES on the gradient's signal (grad_snr)", () => {
  const b = SIGNAL_BETA;
  /** Drives a controller with given gradients per step (one component "a"); returns each step's ratio. */
  function ratios(ctl: GradesController, steps: number[][][]): number[] {
    const out: number[] = [];
    steps.forEach((tensors, i) => {
      if (ctl.isFrozen("a")) return;
      const current = new Map([["a", tensors.map((v) => tf.tensor1d(v))]]);
      const pending = ctl.measure(i + 1, current)!;
      const values = pending.values.dataSync();
      out.push(values[0]!);
      ctl.decide(pending, values);
      pending.values.dispose();
      for (const t of current.get("a")!) t.dispose();
    });
    return out;
  }

  it("is 1 for a gradient that never changes, from the first measurement (bias-corrected)", () => {
    const ctl = new GradesController([{ name: "a", size: 3 }], options({ metric: "grad_snr", tau: -1 }), 10);
    const r = ratios(
      ctl,
      Array.from({ length: 6 }, () => [[1, -2, 3]]),
    );
    for (const x of r) expect(x).toBeCloseTo(1, 5);
    ctl.dispose();
  });

  it("is ((1 - b) / (1 + b))² after a gradient and its opposite (by hand)", () => {
    // m = (1 - b)(-g) + b (1 - b) g = -(1 - b)² g;  s = (1 - b)(1 + b) g²;  ratio = m² / (s (1 - b²)).
    const ctl = new GradesController([{ name: "a", size: 2 }], options({ metric: "grad_snr", tau: -1 }), 10);
    const r = ratios(ctl, [[[2, -1]], [[-2, 1]]]);
    expect(r[1]).toBeCloseTo(((1 - b) / (1 + b)) ** 2, 8);
    ctl.dispose();
  });

  it("matches a float64 reference over a LoRA-like pair of tensors", () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647 - 0.5;
    };
    // A drifting mean plus noise, in two tensors summed into one ratio.
    const steps = Array.from({ length: 40 }, (_, t) => [
      Array.from({ length: 5 }, (_, j) => 0.3 * Math.cos(t / 10 + j) + rand()),
      Array.from({ length: 3 }, () => rand()),
    ]);
    const m = [new Float64Array(5), new Float64Array(3)];
    const s = [new Float64Array(5), new Float64Array(3)];
    const expected = steps.map((tensors, k) => {
      let signal = 0;
      let power = 0;
      tensors.forEach((g, i) => {
        g.forEach((x, j) => {
          m[i]![j] = b * m[i]![j]! + (1 - b) * x;
          s[i]![j] = b * s[i]![j]! + (1 - b) * x * x;
          signal += m[i]![j]! ** 2;
          power += s[i]![j]!;
        });
      });
      return signal / (power * (1 - b ** (k + 1)));
    });
    const ctl = new GradesController([{ name: "a", size: 8 }], options({ metric: "grad_snr", tau: -1 }), 100);
    const got = ratios(ctl, steps);
    got.forEach((x, k) => {
      expect(x).toBeCloseTo(expected[k]!, 5);
    });
    // The reference's ratios span signal and noise: the test is not of a constant.
    expect(Math.max(...expected) - Math.min(...expected)).toBeGreaterThan(0.1);
    ctl.dispose();
  });

  it("freezes a component whose gradient keeps flipping, not one that keeps its direction", () => {
    const ctl = new GradesController(
      [
        { name: "flips", size: 1 },
        { name: "steady", size: 1 },
      ],
      options({ metric: "grad_snr", tau: 0.1, alpha: 0.2 }),
      20,
    );
    // Values are what every element takes; "flips" alternates sign, "steady" shrinks but keeps its sign.
    const frozen = run(
      ctl,
      {
        flips: Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 1 : -1)),
        steady: Array.from({ length: 20 }, (_, i) => 1 / (i + 1)),
      },
      { flips: one(1), steady: one(1) },
    );
    expect(frozen.map((f) => [f.name, f.step])).toEqual([["flips", 4]]);
    expect(ctl.isFrozen("steady")).toBe(false);
    ctl.dispose();
  });

  it("measures every `interval` steps without keeping tensors between them", () => {
    const ctl = new GradesController(
      [{ name: "a", size: 1 }],
      options({ metric: "grad_snr", interval: 3 }),
      30,
    );
    expect([1, 2, 3, 4, 5, 6].map((s) => ctl.needsTensorsAt(s))).toEqual([
      false,
      false,
      true,
      false,
      false,
      true,
    ]);
    const grad = new GradesController([{ name: "a", size: 1 }], options({ interval: 3 }), 30);
    expect([2, 3].map((s) => grad.needsTensorsAt(s))).toEqual([true, true]);
    ctl.dispose();
    grad.dispose();
  });

  it("restores its moving averages from a checkpoint and goes on as the uninterrupted controller does", () => {
    const series = { a: [3, -1, 2, 2, -3, 1, 0.5, -0.5, 2, 1], b: [1, 1, 1, 0.9, 1, 1.1, 1, 1, 1, 1] };
    const comps = [
      { name: "a", size: 2 },
      { name: "b", size: 2 },
    ];
    const shapes = { a: [[2]], b: [[1], [1]] };
    const opts = options({ metric: "grad_snr", tau: 0.3, alpha: 0.2 });
    const whole = new GradesController(comps, opts, 10);
    const expected = run(whole, series, shapes);
    const first = new GradesController(comps, opts, 10);
    const part1 = run(first, series, shapes, 1, 5);
    const state = JSON.parse(JSON.stringify(first.exportState()));
    const prev = new Map([...first.prevTensors()].map(([k, t]) => [k, tf.tensor(t.dataSync(), t.shape)]));
    first.dispose();
    const resumed = new GradesController(comps, opts, 10);
    resumed.importState(state, prev);
    const part2 = run(resumed, series, shapes, 6);
    expect([...part1, ...part2]).toEqual(expected);
    expect(expected.map((f) => f.name)).toEqual(["a"]);
    expect(whole.metricOf("b")).toBeCloseTo(resumed.metricOf("b")!, 6);
    whole.dispose();
    resumed.dispose();
  });
});
