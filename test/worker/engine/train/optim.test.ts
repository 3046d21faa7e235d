import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../../worker/engine/backend.ts";
import { ADAMW_STEP } from "../../../../worker/engine/kernels/adamw-step.ts";
import { SUM_SQUARES } from "../../../../worker/engine/kernels/sum-squares.ts";
import { AdamW } from "../../../../worker/engine/train/adamw.ts";
import { clipFactor } from "../../../../worker/engine/train/clip.ts";
import { Rng } from "../../../../worker/engine/train/rng.ts";
import { learningRateAt, warmupStepsFor } from "../../../../worker/engine/train/schedule.ts";

beforeAll(async () => {
  await initBackend("cpu");
});

describe("AdamW", () => {
  it("matches torch.optim.AdamW's update, decoupled weight decay and bias correction included", () => {
    const w = tf.variable(tf.tensor1d([1, -2]));
    const opt = new AdamW({ weightDecay: 0.1 });
    const lr = 0.01;
    const grads = [
      [0.5, -1],
      [0.25, 2],
    ];
    // Reference computed by hand from the AdamW algorithm (beta1 0.9, beta2 0.999, eps 1e-8).
    const ref = [1, -2];
    const m = [0, 0];
    const v = [0, 0];
    grads.forEach((g, k) => {
      const t = k + 1;
      for (let i = 0; i < 2; i++) {
        ref[i] = ref[i]! * (1 - lr * 0.1);
        m[i] = 0.9 * m[i]! + 0.1 * g[i]!;
        v[i] = 0.999 * v[i]! + 0.001 * g[i]! ** 2;
        const mHat = m[i]! / (1 - 0.9 ** t);
        const vHat = v[i]! / (1 - 0.999 ** t);
        ref[i] = ref[i]! - (lr * mHat) / (Math.sqrt(vHat) + 1e-8);
      }
      const grad = tf.tensor1d(g);
      opt.apply([{ key: "w", variable: w, grad }], lr);
      grad.dispose();
    });
    const got = Array.from(w.dataSync());
    expect(got[0]).toBeCloseTo(ref[0]!, 6);
    expect(got[1]).toBeCloseTo(ref[1]!, 6);
    opt.dispose();
    w.dispose();
  });

  it.each(["cpu", "wasm"])(
    "takes the same steps as one kernel on %s as composed of tfjs ops (where no kernel is)",
    async (backend) => {
      await initBackend(backend as "cpu" | "wasm");
      const w0 = Array.from(tf.randomNormal([300], 0, 1, "float32", 7).dataSync());
      const grads = [8, 9, 10].map((seed) =>
        Array.from(tf.randomNormal([300], 0, 1, "float32", seed).dataSync()),
      );
      const run = () => {
        const init = tf.tensor1d(w0);
        const w = tf.variable(init);
        init.dispose();
        const opt = new AdamW({ weightDecay: 0.1 });
        // The last step's gradient is clipped, by a factor that is not a power of two.
        const clip = tf.scalar(0.37);
        for (const [k, g] of grads.entries()) {
          const grad = tf.tensor1d(g);
          opt.apply(
            [{ key: "w", variable: w, grad, decay: k !== 1 }],
            0.01 * (k + 1),
            k === 2 ? clip : undefined,
          );
          grad.dispose();
        }
        clip.dispose();
        const state = opt.exportState();
        const out = [w, state.tensors.get("w.exp_avg")!, state.tensors.get("w.exp_avg_sq")!].map((t) =>
          Array.from(t.dataSync()),
        );
        opt.dispose();
        w.dispose();
        return out;
      };
      // On wasm the registered kernel is the compiled one where the binding is built, else the JS loop.
      const kernel = tf.getKernel(ADAMW_STEP, backend)!;
      expect(kernel).toBeDefined();
      const before = tf.memory().numTensors;
      const fused = run();
      expect(tf.memory().numTensors).toBe(before);
      tf.unregisterKernel(ADAMW_STEP, backend);
      try {
        const composed = run();
        for (let j = 0; j < 3; j++)
          for (let i = 0; i < 300; i++) expect(fused[j]![i]).toBeCloseTo(composed[j]![i]!, 6);
        // The two differ only in float32 rounding, so a wrong formula would show: the steps moved w by ~0.06.
        expect(Math.abs(fused[0]![0]! - w0[0]!)).toBeGreaterThan(0.01);
      } finally {
        tf.registerKernel(kernel);
        await initBackend("cpu");
      }
    },
  );

  it.each(["cpu", "wasm"])(
    "writes each new weight to a sink's array on %s, by the kernel or after the composed ops, and says so in order",
    async (backend) => {
      await initBackend(backend as "cpu" | "wasm");
      const kernel = tf.getKernel(ADAMW_STEP, backend)!;
      try {
        for (const composed of [false, true]) {
          if (composed) tf.unregisterKernel(ADAMW_STEP, backend);
          const a = tf.variable(tf.randomNormal([500], 0, 1, "float32", 1));
          const b = tf.variable(tf.randomNormal([4], 0, 1, "float32", 2));
          const targets = new Map([["a", new Float32Array(new SharedArrayBuffer(500 * 4))]]);
          const told: string[] = [];
          const sink = {
            target: (key: string) => targets.get(key),
            updated: (key: string) => told.push(key),
          };
          const [ga, gb] = [tf.randomNormal([500], 0, 1, "float32", 3), tf.ones([4])];
          const opt = new AdamW({ weightDecay: 0.1 });
          opt.apply(
            [
              { key: "a", variable: a, grad: ga },
              { key: "b", variable: b, grad: gb },
            ],
            0.01,
            undefined,
            sink,
          );
          expect(told).toEqual(["a", "b"]);
          expect(Array.from(targets.get("a")!)).toEqual(Array.from(a.dataSync()));
          expect(targets.get("a")!.some((x) => x !== 0)).toBe(true);
          tf.dispose([a, b, ga, gb]);
          opt.dispose();
        }
      } finally {
        if (!tf.getKernel(ADAMW_STEP, backend)) tf.registerKernel(kernel);
        await initBackend("cpu");
      }
    },
  );

  it("releases one variable's moments and keeps the live tensor count flat across steps", () => {
    const a = tf.variable(tf.ones([3]));
    const b = tf.variable(tf.ones([3]));
    const opt = new AdamW({ weightDecay: 0 });
    const g = tf.ones([3]);
    const step = () =>
      opt.apply(
        [
          { key: "a", variable: a, grad: g },
          { key: "b", variable: b, grad: g },
        ],
        0.1,
      );
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    opt.release("a");
    expect(opt.has("a")).toBe(false);
    expect(tf.memory().numTensors).toBe(before - 2);
    const { tensors, steps } = opt.exportState();
    expect(steps).toEqual({ b: 11 });
    expect([...tensors.keys()]).toEqual(["b.exp_avg", "b.exp_avg_sq"]);
    opt.dispose();
    g.dispose();
    a.dispose();
    b.dispose();
  });
});

describe("clipFactor", () => {
  it("is maxNorm / globalNorm when the norm is larger, 1 otherwise, and absent when clipping is off", () => {
    const grads = [tf.tensor1d([3, 0]), tf.tensor2d([[0], [4]])];
    const { norm, scale } = clipFactor(grads, 1);
    expect(norm.dataSync()[0]).toBeCloseTo(5, 5);
    expect(scale!.dataSync()[0]).toBeCloseTo(1 / (5 + 1e-6), 7);
    const loose = clipFactor(grads, 10);
    expect(loose.scale!.dataSync()[0]).toBe(1);
    const off = clipFactor(grads, 0);
    expect(off.scale).toBeUndefined();
    expect(off.norm.dataSync()[0]).toBeCloseTo(5, 5);
    // A sum of squares the caller has already is taken as it is, without reading the gradients.
    const given = clipFactor(grads, 1, 100);
    expect(given.norm.dataSync()[0]).toBeCloseTo(10, 5);
    expect(given.scale!.dataSync()[0]).toBeCloseTo(1 / (10 + 1e-6), 7);
    tf.dispose([...grads, norm, scale!, loose.norm, loose.scale!, off.norm, given.norm, given.scale!]);
  });

  it.each(["cpu", "wasm"])(
    "gives the same norm by its kernel on %s as by tfjs' ops, over many tensors",
    async (backend) => {
      await initBackend(backend as "cpu" | "wasm");
      try {
        const grads = [3, 4, 5, 6].map((seed, i) =>
          tf.randomNormal([50 + i * 70, i + 1], 0, 1, "float32", seed),
        );
        // The squares summed in float64 by hand: the reference.
        let ref = 0;
        for (const g of grads) for (const x of g.dataSync()) ref += x * x;
        const kernel = tf.getKernel(SUM_SQUARES, backend)!;
        expect(kernel).toBeDefined();
        const fused = clipFactor(grads, 1);
        tf.unregisterKernel(SUM_SQUARES, backend);
        let composed: ReturnType<typeof clipFactor>;
        try {
          composed = clipFactor(grads, 1);
        } finally {
          tf.registerKernel(kernel);
        }
        expect(fused.norm.dataSync()[0]).toBeCloseTo(Math.sqrt(ref), 4);
        expect(composed.norm.dataSync()[0]).toBeCloseTo(Math.sqrt(ref), 3);
        expect(fused.scale!.dataSync()[0]).toBeCloseTo(composed.scale!.dataSync()[0]!, 7);
        tf.dispose([...grads, fused.norm, fused.scale!, composed.norm, composed.scale!]);
      } finally {
        await initBackend("cpu");
      }
    },
  );
});

describe("learning-rate schedule", () => {
  const base = { baseLr: 1, warmupSteps: 2, totalSteps: 10 };
  it("warms up linearly from zero, then decays by cosine to zero", () => {
    const s = { ...base, kind: "cosine" as const };
    expect(learningRateAt(s, 0)).toBe(0);
    expect(learningRateAt(s, 1)).toBe(0.5);
    expect(learningRateAt(s, 2)).toBe(1);
    expect(learningRateAt(s, 6)).toBeCloseTo(0.5, 10);
    expect(learningRateAt(s, 10)).toBeCloseTo(0, 10);
  });
  it("decays linearly, or stays constant", () => {
    expect(learningRateAt({ ...base, kind: "linear" }, 6)).toBeCloseTo(0.5, 10);
    expect(learningRateAt({ ...base, kind: "constant" }, 9)).toBe(1);
    expect(warmupStepsFor(0.05, 30)).toBe(2);
  });
});

describe("Rng", () => {
  it("continues the same sequence after its state is restored", () => {
    const a = new Rng(42);
    a.next();
    const saved = a.state;
    const expected = [a.nextUint32(), a.nextUint32(), a.nextUint32()];
    const b = new Rng(0);
    b.state = saved;
    expect([b.nextUint32(), b.nextUint32(), b.nextUint32()]).toEqual(expected);
    expect(new Rng(1).nextUint32()).not.toBe(new Rng(2).nextUint32());
  });
});
