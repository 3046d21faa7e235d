// Training on several wasm threads (the pthreads build, parallel/threaded-wasm.ts) must be the same training as on
// one: same losses, same GradES metrics, checkpoints interchangeable. Each run gets a thread of its own
// (trainInThread), because a wasm module keeps its thread count for its life.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TrainEvent, TrainSpec } from "../../../../worker/engine/index.ts";
import { MAX_WASM_THREADS } from "../../../../worker/engine/parallel/threaded-wasm.ts";
import { defaultThreadCount, resolveThreadCount } from "../../../../worker/engine/parallel/threads.ts";
import { trainInThread } from "../../../../worker/thread/train-in-thread.ts";
import { baseSpec, makeTinyModel, writeCountingData } from "../train/support/fixtures.ts";

type StepEvent = Extract<TrainEvent, { type: "step" }>;

function expectClose(actual: number, expected: number, rel: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(expected)));
}

describe("training on several wasm threads", () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "grades-threads-"));
    // Wide enough that XNNPACK splits the matmuls across the pool.
    await makeTinyModel(join(root, "model"), { hidden_size: 64, intermediate_size: 192, head_dim: 16 });
    await writeCountingData(join(root, "train.jsonl"), 16, 24);
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  const spec = (name: string, over: Partial<TrainSpec> = {}) =>
    baseSpec(root, {
      outputDir: join(root, name, "out"),
      maxSteps: 4,
      maxSeqLen: 24,
      // tau 0 with a grace period of 0: G is measured (and reported) at every step, nothing freezes.
      grades: { ...baseSpec(root).grades, enabled: true, tau: 0, alpha: 0, interval: 1 },
      ...over,
    });

  async function run(name: string, over: Partial<TrainSpec>) {
    const steps: StepEvent[] = [];
    const summary = await trainInThread(spec(name, over), {
      onEvent: (e) => {
        if (e.type === "step") steps.push(e);
      },
    });
    return { steps, summary };
  }

  for (const trainingType of ["lora", "full"] as const) {
    it(`gives one thread's losses and GradES metrics at every step (${trainingType})`, async () => {
      const one = await run(`${trainingType}-1`, { trainingType, threads: 1 });
      const two = await run(`${trainingType}-2`, { trainingType, threads: 2 });
      expect(one.summary.backend).toBe("wasm (simd, 1 thread)");
      expect(two.summary.backend).toBe("wasm (simd, 2 threads)");
      expect(two.steps.map((s) => s.step)).toEqual([1, 2, 3, 4]);
      for (const [i, s] of two.steps.entries()) {
        const ref = one.steps[i]!;
        expectClose(s.trainLoss, ref.trainLoss, 1e-5);
        // G is measured from step 2 on (it needs the previous step's gradient).
        const names = Object.keys(ref.metrics ?? {});
        expect(Object.keys(s.metrics ?? {})).toEqual(names);
        for (const n of names) expectClose(s.metrics![n]!, ref.metrics![n]!, 1e-4);
      }
      expect(Object.keys(two.steps[3]!.metrics ?? {}).length).toBeGreaterThan(0);
      // Training moved: the losses are not a constant that any run would match.
      expect(two.steps[3]!.trainLoss).toBeLessThan(two.steps[0]!.trainLoss);
    });
  }

  it("resumes on one thread from a checkpoint written on two, as the uninterrupted run continues", async () => {
    const checkpointDir = join(root, "resume", "ckpt");
    const whole = await run("resume-2", { threads: 2, checkpointDir, checkpointEvery: 2 });
    const resumed = await run("resume-1", { threads: 1, resumeFrom: join(checkpointDir, "step-2") });
    expect(resumed.steps.map((s) => s.step)).toEqual([3, 4]);
    for (const [i, s] of resumed.steps.entries()) {
      const ref = whole.steps[i + 2]!;
      expectClose(s.trainLoss, ref.trainLoss, 1e-5);
      for (const n of Object.keys(ref.metrics ?? {})) expectClose(s.metrics![n]!, ref.metrics![n]!, 1e-4);
    }
  });
});

describe("thread count setting", () => {
  it("defaults to every core, up to the wasm pool's size", () => {
    expect(defaultThreadCount()).toBeGreaterThanOrEqual(1);
    expect(defaultThreadCount()).toBeLessThanOrEqual(MAX_WASM_THREADS);
    expect(resolveThreadCount(undefined)).toBe(defaultThreadCount());
    expect(resolveThreadCount(3)).toBe(3);
  });

  it("rejects counts outside 1..8, naming the range", () => {
    expect(() => resolveThreadCount(0)).toThrow(/threads must be an integer from 1 to 8, got 0/);
    expect(() => resolveThreadCount(9)).toThrow(/from 1 to 8/);
    expect(() => resolveThreadCount(1.5)).toThrow(/got 1.5/);
  });
});
