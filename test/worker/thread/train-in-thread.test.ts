// The worker trains on a thread of its own: same results, events and errors as train() in the process.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataFormatError, InputError, type TrainEvent, train } from "../../../worker/engine/index.ts";
import { trainInThread } from "../../../worker/thread/train-in-thread.ts";
import { inputFailure, isTransient } from "../../../worker/transient.ts";
import { baseSpec, makeTinyModel, writeCountingData } from "../engine/train/support/fixtures.ts";

describe("trainInThread", () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "grades-thread-"));
    await makeTinyModel(join(root, "model"));
    await writeCountingData(join(root, "train.jsonl"), 12, 10);
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  const spec = (name: string, over = {}) =>
    baseSpec(root, {
      outputDir: join(root, name, "out"),
      checkpointDir: join(root, name, "ckpt"),
      maxSteps: 4,
      backend: "cpu",
      ...over,
    });

  it("gives the same losses, events and summary as train() in the process", async () => {
    const inProcess: TrainEvent[] = [];
    const threaded: TrainEvent[] = [];
    const a = await train(spec("a"), { onEvent: (e) => void inProcess.push(e) });
    const b = await trainInThread(spec("b"), { onEvent: (e) => void threaded.push(e) });
    expect(b.stepsCompleted).toBe(4);
    expect(b.finalTrainLoss).toBe(a.finalTrainLoss);
    const losses = (es: TrainEvent[]) => es.flatMap((e) => (e.type === "step" ? [e.trainLoss] : []));
    expect(losses(threaded)).toEqual(losses(inProcess));
    expect(threaded.map((e) => e.type)).toEqual(inProcess.map((e) => e.type));
  });

  it("waits for each event's consumer before training on", async () => {
    const seen: number[] = [];
    await trainInThread(spec("slow"), {
      onEvent: async (e) => {
        if (e.type !== "step") return;
        await new Promise((r) => setTimeout(r, 50));
        seen.push(e.step);
      },
    });
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it("aborts on the signal, after a checkpoint, with stop reason cancelled", async () => {
    const controller = new AbortController();
    const events: TrainEvent[] = [];
    const summary = await trainInThread(spec("abort", { maxSteps: 50 }), {
      signal: controller.signal,
      onEvent: (e) => {
        events.push(e);
        if (e.type === "step" && e.step === 2) controller.abort();
      },
    });
    expect(summary.stopReason).toBe("cancelled");
    expect(summary.stepsCompleted).toBeLessThan(50);
    expect(events.some((e) => e.type === "checkpoint" && e.step === summary.stepsCompleted)).toBe(true);
  });

  it("rejects with the engine's error class and fields, naming the bad line", async () => {
    const bad = join(root, "bad.jsonl");
    await writeFile(bad, '{"input_ids": [1, 2, 3]}\n{"input_ids": "nope"}\n');
    const err = await trainInThread(spec("bad", { trainFile: bad })).catch((e) => e);
    expect(err).toBeInstanceOf(DataFormatError);
    expect(err.line).toBe(2);
    expect(err.message).toContain("line 2");
  });

  it("brings back every input error as an InputError that fails the job at once with its message", async () => {
    const badTokenizer = await makeTinyModel(join(root, "bad-tokenizer"));
    await writeFile(
      join(badTokenizer, "tokenizer.json"),
      JSON.stringify({ version: "1.0", model: { type: "BPE" } }),
    );
    const notACheckpoint = join(root, "not-a-checkpoint");
    await mkdir(notACheckpoint);
    const cases = [
      { over: { modelDir: badTokenizer }, name: "TokenizerLoadError", code: "invalid_model", param: "model" },
      {
        over: { resumeFrom: notACheckpoint },
        name: "CheckpointError",
        code: "invalid_checkpoint",
        param: null,
      },
    ];
    for (const [i, c] of cases.entries()) {
      const err = await trainInThread(spec(`input-${i}`, c.over)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).name).toBe(c.name);
      expect(isTransient(err)).toBe(false);
      expect(inputFailure(err)).toEqual({ code: c.code, message: (err as Error).message, param: c.param });
    }
  });

  it("stops training and reports the consumer's failure", async () => {
    const err = await trainInThread(spec("consumer"), {
      onEvent: (e) => {
        if (e.type === "step") throw new Error("upload failed");
      },
    }).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe("upload failed");
  });
});
