// The replicas' weight stream (parallel/replicas.ts): after a step's last micro-batch a replica waits on a shared
// counter for the optimizer's weights. A stream the trainer never finishes (a step that failed between the
// gradients and the optimizer) must neither hang the next step nor the pool's disposal.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../../worker/engine/backend.ts";
import { sequentialBatches } from "../../../../worker/engine/data/batches.ts";
import { loadModel } from "../../../../worker/engine/model/loader.ts";
import type { CausalLM } from "../../../../worker/engine/model/types.ts";
import { ReplicaPool } from "../../../../worker/engine/parallel/replicas.ts";
import { microBatchGradients } from "../../../../worker/engine/train/micro-batch.ts";
import { makeTrainable, trainableVariables } from "../../../../worker/engine/train/trainable.ts";
import { baseSpec, makeTinyModel } from "../train/support/fixtures.ts";

describe("the replicas' weight stream", () => {
  let root: string;
  let model: CausalLM;
  let pool: ReplicaPool;
  let keys: string[];
  let variables: tf.Variable[];

  const batch = () => {
    const examples = [0, 1].map((r) => {
      const ids = Array.from({ length: 8 }, (_, i) => (r * 5 + i) % 48);
      return { inputIds: ids, labels: ids };
    });
    return sequentialBatches(examples, 2, 0)[0]!;
  };

  beforeAll(async () => {
    await initBackend("wasm");
    root = await mkdtemp(join(tmpdir(), "grades-stream-"));
    const spec = baseSpec(root, { trainingType: "full" });
    await makeTinyModel(spec.modelDir);
    model = await loadModel(spec.modelDir);
    const trainable = trainableVariables(makeTrainable(model, spec));
    keys = trainable.map((t) => t.key);
    variables = trainable.map((t) => t.variable);
    pool = await ReplicaPool.start({
      modelDir: spec.modelDir,
      spec,
      variables: trainable,
      count: 1,
      threads: 1,
      activationCacheBytes: 0,
    });
  });
  afterAll(async () => {
    model.dispose();
    await rm(root, { recursive: true, force: true });
  });

  it("goes on when a stream is left open: the next step streams the weights as they are", async () => {
    const b = batch();
    const before = await pool.compute([b], keys, b.targets, 0, 1, true);
    // The replica now waits for every weight; no optimizer runs. The next step must still be answered, with the
    // same loss, since no weight changed.
    const again = await pool.compute([b], keys, b.targets, 0, 1, false);
    expect(again[0]).toBeCloseTo(before[0]!, 6);
  });

  it("reads the weights the optimizer streams, then computes with them", async () => {
    const b = batch();
    const base = await pool.compute([b], keys, b.targets, 0, 1, true);
    // A "step" that scales every weight by 0.5, written to the stream's targets as AdamW writes them.
    for (const [i, key] of keys.entries()) {
      const halved = tf.tidy(() => tf.mul(variables[i]!, 0.5));
      variables[i]!.assign(halved);
      halved.dispose();
      pool.target(key)!.set(variables[i]!.dataSync());
      pool.updated(key);
    }
    pool.endStream();
    const after = await pool.compute([b], keys, b.targets, 0, 1, false);
    expect(Math.abs(after[0]! - base[0]!)).toBeGreaterThan(1e-3);
    // The replica holds the halved weights: its loss is the trainer's own on the same rows.
    const mine = await microBatchGradients(model, undefined, b, [], b.targets, 0, {
      training: true,
      dropoutSeed: 1,
    });
    expect(mine.value.dataSync()[0]).toBeCloseTo(after[0]!, 5);
    mine.value.dispose();
  });

  it("is disposed promptly while a replica waits on the stream", async () => {
    const b = batch();
    await pool.compute([b], keys, b.targets, 0, 1, true);
    const started = performance.now();
    await pool.dispose();
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
