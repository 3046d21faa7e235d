// Time from a job's creation to its first training step on an idle worker: the real worker and engine on the
// built-in demo model, the worker polling only every 5 s so that a fast start can only come from NOTIFY.
// The first job also warms the worker's input cache and the engine; the figures after it are the idle case.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp, ensureBuiltinModels } from "../../api/index.ts";
import { loadConfig } from "../../common/config.ts";
import { silentLogger } from "../../common/logger.ts";
import { train } from "../../worker/engine/index.ts";
import { startWorker, type TrainFn } from "../../worker/index.ts";
import { migrate, openDatabase } from "../client.ts";
import { storeFile } from "../files.ts";
import { createApiKey } from "../keys.ts";
import { openStorage } from "../storage/index.ts";
import { chatLines } from "./dataset.ts";

export async function firstStepLatency(url: string, runs: number): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), "grades-bench-"));
  const config = loadConfig({
    DATABASE_URL: url,
    GRADES_DATA_DIR: dataDir,
    LOG_LEVEL: "silent",
    GRADES_WORKER_POLL_SECONDS: "5",
    GRADES_JOB_MAX_ATTEMPTS: "1",
  });
  const db = await openDatabase({ databaseUrl: url, maxConnections: 4 });
  await migrate(db);
  const storage = openStorage(config);
  const logger = silentLogger();
  await ensureBuiltinModels({ db: db.db, storage, logger });
  const { key, tenant } = await createApiKey(db.db, "bench");
  const file = await storeFile(
    { db: db.db, storage },
    { tenantId: tenant.id, filename: "train.jsonl", purpose: "fine-tune", body: chatLines(8) },
  );
  // Jobs are created as a client creates them: through the API (in process, no HTTP server).
  const app = createApp({ config, db, storage, logger });

  const firstStep = new Map<string, number>();
  const claimedAt = new Map<string, number>();
  const timedTrain: TrainFn = (spec, hooks) =>
    train(spec, {
      ...hooks,
      onEvent: (e) => {
        const id = /ftjob-[A-Za-z0-9]+/.exec(spec.outputDir)?.[0];
        if (e.type === "step" && id && !firstStep.has(id)) firstStep.set(id, performance.now());
        return hooks.onEvent?.(e);
      },
    });
  const worker = await startWorker(
    { config, db, storage, logger },
    { train: timedTrain, onClaim: (j) => claimedAt.set(j.id, performance.now()) },
  );
  const results: { claimMs: number; firstStepMs: number }[] = [];
  try {
    for (let i = 0; i <= runs; i++) {
      await new Promise((r) => setTimeout(r, 1000)); // idle before the job arrives
      const created = performance.now();
      const res = await app.request("/v1/fine_tuning/jobs", {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "demo-tiny", training_file: file.id, max_steps: 2, seed: i }),
      });
      const body = (await res.json()) as { id: string };
      if (res.status !== 200) throw new Error(`creating the bench job failed: ${JSON.stringify(body)}`);
      const id = body.id;
      for (;;) {
        const [row] = await db.sql.query<{ status: string }>(
          "select status from fine_tuning_jobs where id = $1",
          [id],
        );
        if (["succeeded", "failed", "cancelled"].includes(row!.status)) {
          if (row!.status !== "succeeded") throw new Error(`bench job ${id} ended ${row!.status}`);
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      const r = { claimMs: claimedAt.get(id)! - created, firstStepMs: firstStep.get(id)! - created };
      console.log(
        `${i === 0 ? "cold (first job: downloads, engine start)" : `idle worker, run ${i}`}: created → claimed ${r.claimMs.toFixed(0)} ms, created → first training step ${r.firstStepMs.toFixed(0)} ms`,
      );
      if (i > 0) results.push(r);
    }
  } finally {
    await worker.stop();
    await db.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(
    `idle worker, mean of ${results.length}: created → claimed ${mean(results.map((r) => r.claimMs)).toFixed(0)} ms, created → first step ${mean(results.map((r) => r.firstStepMs)).toFixed(0)} ms (poll interval 5 s: the wake-up came from NOTIFY)`,
  );
}
