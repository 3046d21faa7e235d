// Helpers for suites that run real training: the demo model in storage, a worker on the test app's database,
// waiting for a job to reach a state, and unpacking an adapter archive.
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import tar from "tar-stream";
import { ensureBuiltinModels } from "../../api/index.ts";
import { createLogger, silentLogger } from "../../common/logger.ts";
import { type RunningWorker, startWorker, type WorkerOptions } from "../../worker/index.ts";
import type { TestApp } from "../support/app.ts";

export async function withDemoModel(t: TestApp): Promise<void> {
  await ensureBuiltinModels({ db: t.db.db, storage: t.storage, logger: silentLogger() });
}

export function startTestWorker(t: TestApp, opts: WorkerOptions = {}): Promise<RunningWorker> {
  return startWorker(
    {
      config: t.config,
      db: t.db,
      storage: t.storage,
      logger: process.env.TEST_WORKER_LOGS ? createLogger({ logLevel: "debug" }) : silentLogger(),
    },
    { pollSeconds: 0.25, leaseSeconds: 5, ...opts },
  );
}

export type Job = Record<string, any> & { id: string; status: string };

/** A few quick steps of LoRA on the built-in demo model: the request fields the real-engine suites share. */
export const DEMO_TINY_JOB = {
  model: "demo-tiny",
  seed: 3,
  learning_rate: 0.01,
  method: { type: "supervised", supervised: { hyperparameters: { batch_size: 4 } } },
  lora: { r: 4, alpha: 8 },
};

export async function getJob(t: TestApp, id: string): Promise<Job> {
  return (await (await t.request(`/v1/fine_tuning/jobs/${id}`)).json()) as Job;
}

/** Polls the job until `ok` holds; fails with the job's last state after `timeoutMs`. */
export async function waitForJob(
  t: TestApp,
  id: string,
  ok: (j: Job) => boolean,
  timeoutMs = 90_000,
): Promise<Job> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    // A failed request (e.g. while a test kills database connections) is simply polled again.
    const job = await getJob(t, id).catch(() => null);
    if (job?.id && ok(job)) return job;
    if (Date.now() > until) throw new Error(`timed out waiting for job ${id}: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const finished = (j: Job) => ["succeeded", "failed", "cancelled"].includes(j.status);

/** Unpacks a .tar.gz body into a fresh folder; returns the folder and the entry names. */
export async function untarGz(body: ArrayBuffer): Promise<{ dir: string; names: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), "grades-untar-"));
  const names: string[] = [];
  const extract = tar.extract();
  extract.on("entry", (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: unknown) => {
      chunks.push(c as Buffer);
    });
    stream.on("end", async () => {
      names.push(header.name);
      const path = join(dir, header.name);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, Buffer.concat(chunks));
      next();
    });
  });
  await pipeline(Readable.from(Buffer.from(body)), createGunzip(), extract);
  return { dir, names: names.sort() };
}
