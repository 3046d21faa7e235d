// Training on several threads must be the same training as on one: same losses, same GradES metrics, checkpoints
// interchangeable. Two threads are data-parallel replicas (parallel/replicas.ts) when a batch has rows for both,
// and one backend on the pthreads build (parallel/threaded-wasm.ts) when it has one row. Each run gets a thread
// of its own (trainInThread), because a wasm module keeps its thread count for its life.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TrainEvent, TrainSpec } from "../../../../worker/engine/index.ts";
import { loadBlas } from "../../../../worker/engine/kernels/blas.ts";
import { MAX_WASM_THREADS } from "../../../../worker/engine/parallel/threaded-wasm.ts";
import {
  defaultThreadCount,
  replicasKeepPaying,
  replicasPayOff,
  resolveThreadCount,
  threadPlan,
} from "../../../../worker/engine/parallel/threads.ts";
import { trainInThread } from "../../../../worker/thread/train-in-thread.ts";
import { baseSpec, makeTinyModel, writeCountingData } from "../train/support/fixtures.ts";

/** What the backend label says of the matmuls: OpenBLAS's where its binding is built. */
const MATMULS = loadBlas().blas ? ", OpenBLAS matmuls" : "";

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
      // Replicas from the first step: these runs are far too short for them to pay otherwise.
      replicaMinSeconds: 0,
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

  const WAYS = [
    {
      way: "data-parallel replicas",
      batchSize: 4,
      label: `wasm (simd, 1 thread${MATMULS}) x 2 data-parallel replicas`,
    },
    { way: "the threaded build", batchSize: 1, label: `wasm (simd, 2 threads${MATMULS})` },
  ];
  for (const trainingType of ["lora", "full"] as const) {
    for (const { way, batchSize, label } of WAYS) {
      it(`gives one thread's losses and GradES metrics at every step (${trainingType}, ${way})`, async () => {
        const one = await run(`${trainingType}-${batchSize}-1`, { trainingType, batchSize, threads: 1 });
        const two = await run(`${trainingType}-${batchSize}-2`, { trainingType, batchSize, threads: 2 });
        expect(one.summary.backend).toBe(`wasm (simd, 1 thread${MATMULS})`);
        expect(two.summary.backend).toBe(label);
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
  }

  it("gives one thread's losses with gradient accumulation and a micro-batch of one row (full, replicas)", async () => {
    // 16 examples in batches of 3: five of 3 rows and one of 1, which only the trainer computes; the replica
    // then reads the weights at the next step instead of as the optimizer streams them.
    const over = { trainingType: "full" as const, batchSize: 3, gradientAccumulationSteps: 2 };
    const one = await run("accumulate-1", { ...over, threads: 1 });
    const two = await run("accumulate-2", { ...over, threads: 2 });
    expect(two.summary.backend).toBe(`wasm (simd, 1 thread${MATMULS}) x 2 data-parallel replicas`);
    expect(two.steps.map((s) => s.step)).toEqual([1, 2, 3, 4]);
    for (const [i, s] of two.steps.entries()) expectClose(s.trainLoss, one.steps[i]!.trainLoss, 1e-5);
    expect(two.steps[3]!.trainLoss).toBeLessThan(two.steps[0]!.trainLoss);
  });

  for (const [from, to] of [
    [2, 1],
    [1, 2],
  ] as const) {
    it(`resumes on ${to} thread(s) from a checkpoint written on ${from}, as the uninterrupted run continues`, async () => {
      const checkpointDir = join(root, `resume-${from}`, "ckpt");
      const whole = await run(`resume-${from}`, { threads: from, checkpointDir, checkpointEvery: 2 });
      const resumed = await run(`resume-${from}-${to}`, {
        threads: to,
        resumeFrom: join(checkpointDir, "step-2"),
      });
      expect(resumed.steps.map((s) => s.step)).toEqual([3, 4]);
      for (const [i, s] of resumed.steps.entries()) {
        const ref = whole.steps[i + 2]!;
        expectClose(s.trainLoss, ref.trainLoss, 1e-5);
        for (const n of Object.keys(ref.metrics ?? {})) expectClose(s.metrics![n]!, ref.metrics![n]!, 1e-4);
      }
    });
  }
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

describe("threadPlan", () => {
  const GB = 2 ** 30;
  it("starts replicas only for the rest of a run that takes long enough on one thread", () => {
    expect(replicasPayOff(0.5, 100)).toBe(true);
    expect(replicasPayOff(0.05, 100)).toBe(false);
    expect(replicasPayOff(0.05, 100, 0)).toBe(true);
  });

  it("keeps replicas only while the median of their steps takes at most 95 % of one thread's time per token", () => {
    expect(replicasKeepPaying(1, [0.6, 2, 0.7])).toBe(true);
    expect(replicasKeepPaying(1, [0.95, 0.9, 3])).toBe(true);
    expect(replicasKeepPaying(1, [0.96, 0.5, 1.2])).toBe(false);
    expect(replicasKeepPaying(1, [1.1, 1.05, 0.2])).toBe(false);
  });

  it("runs a replica of one thread per thread, as far as a micro-batch has rows and half the memory holds", () => {
    expect(threadPlan(2, 4, GB, 24 * GB)).toEqual({ replicas: 2, threadsPerReplica: 1 });
    expect(threadPlan(8, 4, GB, 24 * GB)).toEqual({ replicas: 4, threadsPerReplica: 2 });
    expect(threadPlan(2, 1, GB, 24 * GB)).toEqual({ replicas: 1, threadsPerReplica: 2 });
    expect(threadPlan(4, 8, 5 * GB, 24 * GB)).toEqual({ replicas: 2, threadsPerReplica: 2 });
    expect(threadPlan(4, 8, 20 * GB, 24 * GB)).toEqual({ replicas: 1, threadsPerReplica: 4 });
    expect(threadPlan(1, 8, GB, 24 * GB)).toEqual({ replicas: 1, threadsPerReplica: 1 });
  });
});

describe("replicas on a short run", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "grades-threads-short-"));
    await makeTinyModel(join(root, "model"));
    await writeCountingData(join(root, "train.jsonl"), 16, 16);
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it("are not started when the rest of the run is over sooner than they would pay", async () => {
    const summary = await trainInThread(
      baseSpec(root, { outputDir: join(root, "out"), maxSteps: 4, threads: 2, batchSize: 4 }),
    );
    expect(summary.stepsCompleted).toBe(4);
    expect(summary.backend).toBe(`wasm (simd, 1 thread${MATMULS})`);
  });
});
