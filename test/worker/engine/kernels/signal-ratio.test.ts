import * as tf from "@tensorflow/tfjs-core";
import { afterAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../../worker/engine/backend.ts";
import { loadBlas } from "../../../../worker/engine/kernels/blas.ts";
import {
  SIGNAL_RATIO,
  type SignalGroup,
  signalRatioConfig,
  signalRatios,
} from "../../../../worker/engine/kernels/signal-ratio.ts";
import { withKernel } from "../support/with-kernel.ts";

const { blas } = loadBlas();

afterAll(async () => {
  await initBackend("cpu");
});

const BETA = 0.95;

/** A LoRA-like pair and a single matrix, with averages as after a few steps (s > 0) and their corrections. */
function groups(): SignalGroup[] {
  let seed = 1;
  const t = (shape: number[]) => tf.randomNormal(shape, 0, 1, "float32", seed++);
  const shapes = [
    [
      [8, 33],
      [41, 8],
    ],
    [[17, 29]],
  ];
  return shapes.map((group, i) => ({
    grads: group.map(t),
    averages: [...group.map((s) => tf.mul(t(s), 0.3)), ...group.map((s) => tf.add(tf.square(t(s)), 0.1))],
    correction: 1 - BETA ** (i + 2),
  }));
}

/** The same in float64 on the host: new averages and ratios. */
function reference(gs: SignalGroup[]) {
  return gs.map((g) => {
    let signal = 0;
    let power = 0;
    const m: number[][] = [];
    const s: number[][] = [];
    g.grads.forEach((grad, k) => {
      const n = g.grads.length;
      const [x, m0, s0] = [grad.dataSync(), g.averages[k]!.dataSync(), g.averages[n + k]!.dataSync()];
      const mk: number[] = [];
      const sk: number[] = [];
      for (let i = 0; i < x.length; i++) {
        mk.push(BETA * m0[i]! + (1 - BETA) * x[i]!);
        sk.push(BETA * s0[i]! + (1 - BETA) * x[i]! * x[i]!);
        signal += mk[i]! ** 2;
        power += sk[i]!;
      }
      m.push(mk);
      s.push(sk);
    });
    return { ratio: signal / (power * g.correction), m, s };
  });
}

function expectMatches(gs: SignalGroup[], digits: number) {
  const want = reference(gs);
  const before = gs.map((g) => g.averages.map((t) => Array.from(t.dataSync())));
  const got = signalRatios(gs, BETA);
  const ratios = Array.from(got.ratios.dataSync());
  want.forEach((w, i) => {
    expect(ratios[i]).toBeCloseTo(w.ratio, digits);
    w.m.forEach((mk, k) => {
      const n = gs[i]!.grads.length;
      const m = got.averages[i]![k]!.dataSync();
      const s = got.averages[i]![n + k]!.dataSync();
      for (let j = 0; j < mk.length; j += 7) {
        expect(m[j]).toBeCloseTo(mk[j]!, 6);
        expect(s[j]).toBeCloseTo(w.s[k]![j]!, 6);
      }
      expect(got.averages[i]![k]!.shape).toEqual(gs[i]!.grads[k]!.shape);
      expect(got.averages[i]![n + k]!.shape).toEqual(gs[i]!.grads[k]!.shape);
    });
  });
  // The old averages are left as they were.
  gs.forEach((g, i) => {
    g.averages.forEach((t, k) => {
      expect(Array.from(t.dataSync())).toEqual(before[i]![k]);
    });
  });
  // Not a constant: the two components' ratios differ.
  expect(Math.abs(ratios[0]! - ratios[1]!)).toBeGreaterThan(1e-3);
}

describe("grad_snr's moving averages and ratios", () => {
  it("on wasm, by the kernel, equal a float64 reference and leave the old averages untouched", async () => {
    await initBackend("wasm");
    expect(tf.getKernel(SIGNAL_RATIO, "wasm")).toBeDefined();
    expectMatches(groups(), 6);
  });

  it("on wasm without the binding, by the JS loop, equal the same reference", async () => {
    await initBackend("wasm");
    withKernel(signalRatioConfig(undefined), () => expectMatches(groups(), 6));
  });

  it("where the backend has no kernel (cpu), by the composed ops, equal the same reference", async () => {
    await initBackend("cpu");
    expect(tf.getKernel(SIGNAL_RATIO, "cpu")).toBeUndefined();
    expectMatches(groups(), 5);
  });

  it("is 1 for a first measurement (zero averages, correction 1 - b) and refuses averages of another shape", async () => {
    await initBackend("wasm");
    const g = tf.tensor1d([1, -2, 3]);
    const first = signalRatios(
      [{ grads: [g], averages: [tf.zerosLike(g), tf.zerosLike(g)], correction: 1 - BETA }],
      BETA,
    );
    expect(first.ratios.dataSync()[0]).toBeCloseTo(1, 6);
    const bad = { grads: [g], averages: [tf.zeros([2]), tf.zeros([3])], correction: 1 };
    expect(() => signalRatios([bad], BETA)).toThrow(/moving averages/);
  });
});

describe.skipIf(!blas)("the binding's signalAverage", () => {
  it("writes the averages, returns their sums in double and refuses arrays of different lengths", () => {
    const n = 1003;
    const g = new Float32Array(n).map((_, i) => Math.sin(i));
    const m = new Float32Array(n).map((_, i) => 0.1 * Math.cos(i));
    const s = new Float32Array(n).map((_, i) => 0.5 + 0.1 * Math.sin(3 * i));
    const [mOut, sOut] = [new Float32Array(n), new Float32Array(n)];
    const [signal, power] = blas!.signalAverage(g, m, s, mOut, sOut, BETA);
    let wantSignal = 0;
    let wantPower = 0;
    for (let i = 0; i < n; i++) {
      const mi = Math.fround(BETA * m[i]! + (1 - BETA) * g[i]!);
      const si = Math.fround(BETA * s[i]! + (1 - BETA) * g[i]! * g[i]!);
      expect(mOut[i]).toBe(mi);
      expect(sOut[i]).toBe(si);
      wantSignal += mi * mi;
      wantPower += si;
    }
    expect(signal).toBeCloseTo(wantSignal, 9);
    expect(power).toBeCloseTo(wantPower, 9);
    expect(() => blas!.signalAverage(g, m, s, mOut, sOut.subarray(1), BETA)).toThrow(/differ in length/);
  });
});
