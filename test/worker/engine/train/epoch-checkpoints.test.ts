// OpenAI keeps a checkpoint at the end of each of the last 3 epochs; the engine does too, besides checkpointEvery.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { train } from "../../../../worker/engine/index.ts";
import { makeTempDir } from "../support/tmp-dir.ts";
import { baseSpec, makeTinyModel, writeCountingData } from "./support/fixtures.ts";

let root: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir: root, cleanup } = await makeTempDir("grades-epoch-ckpt-"));
  await makeTinyModel(join(root, "model"));
  // 12 examples in batches of 4: 3 steps per epoch.
  await writeCountingData(join(root, "train.jsonl"), 12, 8);
});
afterAll(() => cleanup());

async function checkpointSteps(name: string, over: Parameters<typeof baseSpec>[1]): Promise<number[]> {
  const steps: number[] = [];
  await train(
    baseSpec(root, { outputDir: join(root, name, "out"), checkpointDir: join(root, name, "ckpt"), ...over }),
    {
      onEvent: (e) => {
        if (e.type === "checkpoint") steps.push(e.step);
      },
    },
  );
  return steps;
}

describe("epoch checkpoints", () => {
  it("are written at the end of each of the last n epochs, besides every checkpointEvery steps", async () => {
    expect(await checkpointSteps("five", { nEpochs: 5, epochCheckpoints: 3, checkpointEvery: 4 })).toEqual([
      4, 8, 9, 12, 15,
    ]);
  });

  it("end with the last step when max steps cuts the last epoch short", async () => {
    expect(
      await checkpointSteps("cut", { nEpochs: 5, maxSteps: 7, epochCheckpoints: 2, checkpointEvery: 100 }),
    ).toEqual([6, 7]);
  });

  it("are not written when turned off", async () => {
    expect(await checkpointSteps("off", { nEpochs: 3, epochCheckpoints: 0, checkpointEvery: 100 })).toEqual(
      [],
    );
  });
});
