// The distributed form as an operator runs it, every part a process of its own on the production build (plain
// node, no tsx): PostgreSQL (TEST_DATABASE_URL's server, a fresh database), an S3-compatible server (s3rver's
// CLI), a one-shot migrate, 2 API processes on different ports and 3 worker processes, training the built-in demo
// model for a few steps. Skipped without TEST_DATABASE_URL (CI's second pass runs it). About 100 s on an idle
// 2-core machine; the timeouts leave room for a loaded one.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "../support/build.ts";
import { createTestDatabase, type TestDatabase, testDatabaseUrl } from "../support/postgres.ts";
import { type LogLine, runOnce, type ServiceProcess, startProcess } from "../support/processes.ts";
import { chatDataset } from "./helpers.ts";
import { DEMO_TINY_JOB, type Job } from "./training-support.ts";

const onPostgres = Boolean(testDatabaseUrl());
if (!onPostgres)
  console.warn("distributed suite skipped: it needs TEST_DATABASE_URL (a real PostgreSQL server)");

const FINISHED = ["succeeded", "failed", "cancelled"];

let database: TestDatabase;
let sql: postgres.Sql;
let tmp: string;
let s3: ServiceProcess;
let apis: { proc: ServiceProcess; url: string }[] = [];
let workers: { proc: ServiceProcess; url: string; id: string }[] = [];
let apiKey: string;
let trainingFile: string;

function env(dataDir: string): Record<string, string> {
  return {
    DATABASE_URL: database.url,
    S3_BUCKET: "grades",
    S3_ENDPOINT: s3Endpoint,
    S3_FORCE_PATH_STYLE: "true",
    AWS_ACCESS_KEY_ID: "S3RVER",
    AWS_SECRET_ACCESS_KEY: "S3RVER",
    GRADES_DATA_DIR: dataDir,
    HOST: "127.0.0.1",
    PORT: "0",
    GRADES_WORKER_HTTP_PORT: "0",
    LOG_LEVEL: "info",
    GRADES_WORKER_LEASE_SECONDS: "3",
    GRADES_WORKER_POLL_SECONDS: "0.25",
    GRADES_RETRY_BASE_SECONDS: "0",
    GRADES_TENANT_MAX_RUNNING_JOBS: "10",
    GRADES_RATE_LIMIT_PER_MINUTE: "0",
  };
}
let s3Endpoint = "";

async function api(i: number, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${apiKey}`);
  return fetch(`${apis[i]!.url}${path}`, { ...init, headers });
}

async function createJob(via: number, body: Record<string, unknown>): Promise<Job> {
  const res = await api(via, "/v1/fine_tuning/jobs", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      ...DEMO_TINY_JOB,
      training_file: trainingFile,
      grades: { enabled: false },
      ...body,
    }),
  });
  const job = (await res.json()) as Job;
  if (res.status !== 200) throw new Error(JSON.stringify(job));
  return job;
}

async function waitJob(via: number, id: string, ok: (j: Job) => boolean, timeoutMs = 240_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = (await (await api(via, `/v1/fine_tuning/jobs/${id}`)).json()) as Job;
    if (ok(job)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Every "claimed a job" log line of every worker process (the killed one's too, up to its death). */
function claims(): { worker: string; job: string }[] {
  return workers.flatMap((w) =>
    w.proc
      .logs()
      .filter((l: LogLine) => l.msg === "claimed a job")
      .map((l) => ({ worker: w.id, job: String(l.job) })),
  );
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

function sample(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe.skipIf(!onPostgres)("the distributed form: separate API and worker processes", () => {
  beforeAll(async () => {
    await ensureBuilt();
    database = await createTestDatabase();
    sql = postgres(database.url, { max: 2, onnotice: () => {} });
    tmp = await mkdtemp(join(tmpdir(), "grades-distributed-"));
    s3 = startProcess(
      "s3rver",
      ["node_modules/s3rver/bin/s3rver.js", "-d", join(tmp, "s3"), "-a", "127.0.0.1", "-p", "0"].concat([
        "--configure-bucket",
        "grades",
      ]),
      {},
    );
    const listening = await s3.waitFor((l) => /S3rver listening on/.test(String(l.msg)), 30_000);
    s3Endpoint = `http://${/listening on (\S+)/.exec(String(listening.msg))![1]}`;

    // As compose and the Kubernetes Job do: migrate once, before any service starts.
    await runOnce("migrate", ["dist/infra/migrate.js"], env(join(tmp, "migrate")));
    const created = await runOnce(
      "keys",
      ["dist/cli/main.js", "keys", "create", "--tenant", "distributed"],
      env(join(tmp, "cli")),
    );
    apiKey = /(sk-grades-\S+)/.exec(created)![1]!;

    // All five start at once, as after a deploy: both APIs write the demo model concurrently.
    const startApi = async (i: number) => {
      const proc = startProcess(`api-${i}`, ["dist/infra/api.js"], env(join(tmp, `api-${i}`)));
      const line = await proc.waitFor((l) => l.msg === "API listening");
      return { proc, url: String(line.url) };
    };
    const startWorker = async (i: number) => {
      const proc = startProcess(`worker-${i}`, ["dist/infra/worker.js"], env(join(tmp, `worker-${i}`)));
      const line = await proc.waitFor((l) => l.msg === "worker health and metrics listening");
      const started = await proc.waitFor((l) => l.msg === "worker started");
      return { proc, url: String(line.url), id: String(started.worker) };
    };
    [apis, workers] = await Promise.all([
      Promise.all([0, 1].map(startApi)),
      Promise.all([0, 1, 2].map(startWorker)),
    ]);
    expect(new Set(apis.map((a) => a.url)).size).toBe(2);

    const form = new FormData();
    form.set("purpose", "fine-tune");
    form.set("file", new Blob([chatDataset(8)]), "train.jsonl");
    const res = await api(0, "/v1/files", { method: "POST", body: form });
    trainingFile = ((await res.json()) as { id: string }).id;
    // Spot for the webhook dispatcher (`node dist/infra/webhooks.js`) once it lands: start it here beside the
    // workers, with a real HTTP receiver, and check in the last test that each event is delivered once.
  }, 300_000);

  afterAll(async () => {
    await Promise.all([...apis.map((a) => a.proc.stop()), ...workers.map((w) => w.proc.stop("SIGKILL"))]);
    await s3?.stop();
    await sql?.end({ timeout: 5 });
    await database?.drop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it("serves /health on every process and reads, cancels and pauses through one API a job created through the other", async () => {
    for (const p of [...apis, ...workers]) expect((await fetch(`${p.url}/health`)).status, p.url).toBe(200);

    const queued = await createJob(0, { max_steps: 4 });
    const read = (await (await api(1, `/v1/fine_tuning/jobs/${queued.id}`)).json()) as Job;
    expect(read.id).toBe(queued.id);
    const cancelled = (await (
      await api(1, `/v1/fine_tuning/jobs/${queued.id}/cancel`, { method: "POST" })
    ).json()) as Job;
    expect(cancelled.status).toBe("cancelled");
    expect((await waitJob(0, queued.id, (j) => FINISHED.includes(j.status))).status).toBe("cancelled");

    const long = await createJob(1, { max_steps: 500, checkpoint_every: 1000 });
    await waitJob(0, long.id, (j) => j.status === "running" && j.grades.steps_completed >= 1);
    const pausing = await api(0, `/v1/fine_tuning/jobs/${long.id}/pause`, { method: "POST" });
    expect(pausing.status).toBe(200);
    const paused = await waitJob(1, long.id, (j) => j.status === "paused");
    expect(paused.grades.steps_completed).toBeLessThan(500);
    const list = (await (await api(1, "/v1/fine_tuning/jobs?limit=10")).json()) as { data: Job[] };
    expect(list.data.map((j) => j.id)).toEqual(expect.arrayContaining([queued.id, long.id]));
    expect(
      (await (await api(0, `/v1/fine_tuning/jobs/${long.id}/cancel`, { method: "POST" })).json()).status,
    ).toBe("cancelled");
  }, 240_000);

  it("spreads jobs over the workers, rescues the job of a SIGKILLed worker, runs no job twice and records each result once", async () => {
    const doomed = await createJob(0, { max_steps: 6, checkpoint_every: 2 });
    // Held by some worker, with a stored checkpoint: then its process is killed without a chance to hand it back.
    for (;;) {
      const [row] = await sql<{ locked_by: string | null; step: number | null }[]>`
        select j.locked_by, (select max(step)::int from fine_tuning_checkpoints c where c.job_id = j.id) as step
        from fine_tuning_jobs j where j.id = ${doomed.id}`;
      if (row?.locked_by && (row.step ?? 0) >= 2) {
        const victim = workers.find((w) => w.id === row.locked_by)!;
        expect(victim).toBeDefined();
        victim.proc.child.kill("SIGKILL");
        await victim.proc.exited;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const others = await Promise.all([1, 0, 1, 0].map((via) => createJob(via, { max_steps: 2 })));
    const jobs = [doomed, ...others];
    const done = await Promise.all(
      jobs.map((j, i) => waitJob(i % 2, j.id, (x) => FINISHED.includes(x.status))),
    );
    expect(done.map((j) => [j.status, j.error])).toEqual(jobs.map(() => ["succeeded", null]));

    // The killed worker's job: rescued after its lease ran out, resumed from its checkpoint elsewhere.
    const events = (await (await api(1, `/v1/fine_tuning/jobs/${doomed.id}/events?limit=1000`)).json()) as {
      data: { message: string }[];
    };
    const messages = events.data.map((e) => e.message);
    expect(messages.some((m) => m.startsWith("The worker stopped responding; job re-queued"))).toBe(true);
    expect(messages.some((m) => /Resuming from checkpoint at step \d+/.test(m))).toBe(true);
    expect(done[0]!.grades.steps_completed).toBe(6);

    // No job ran twice: one claim per job, except the rescued one (its second claim by another worker, after the
    // first holder died), and the job row counts the same attempts.
    const byJob = new Map<string, string[]>();
    for (const c of claims())
      if (jobs.some((j) => j.id === c.job)) byJob.set(c.job, [...(byJob.get(c.job) ?? []), c.worker]);
    const doomedClaims = byJob.get(doomed.id)!;
    expect(doomedClaims).toHaveLength(2);
    expect(new Set(doomedClaims).size).toBe(2);
    for (const j of others) expect(byJob.get(j.id), j.id).toHaveLength(1);
    const attempts = await sql<{ id: string; attempts: number }[]>`
      select id, attempts from fine_tuning_jobs where id in ${sql(jobs.map((j) => j.id))}`;
    for (const a of attempts) expect(a.attempts, a.id).toBe(a.id === doomed.id ? 2 : 1);
    // Spread: every worker process trained at least one of them.
    expect(new Set([...byJob.values()].flat())).toEqual(new Set(workers.map((w) => w.id)));

    // Each result exactly once: one fine-tuned model row and one adapter archive and metrics file per job (the
    // killed run's are never recorded), one success in the outbox.
    for (const j of done) {
      expect(j.fine_tuned_model).toBeTruthy();
      expect(j.result_files).toHaveLength(2);
    }
    const resultFiles = await sql<{ filename: string }[]>`
      select filename from files where purpose = 'fine-tune-results' order by filename`;
    expect(resultFiles.map((f) => f.filename)).toEqual(
      jobs.flatMap((j) => [`${j.id}-adapter.tar.gz`, `${j.id}-metrics.csv`]).sort(),
    );
    const [models] = await sql<{ n: number }[]>`
      select count(*)::int as n from models where name in ${sql(done.map((j) => j.fine_tuned_model as string))}`;
    expect(models!.n).toBe(jobs.length);
    const outbox = await sql<{ job: string; n: number }[]>`
      select data->>'id' as job, count(*)::int as n from webhook_outbox
      where type = 'fine_tuning.job.succeeded' group by 1`;
    for (const j of jobs) expect(outbox.find((o) => o.job === j.id)?.n, j.id).toBe(1);

    // What the survivors' /metrics say: one lease rescued, and every success counted by the worker that had it.
    const survivors = workers.filter(
      (w) => w.proc.child.exitCode === null && w.proc.child.signalCode === null,
    );
    expect(survivors).toHaveLength(2);
    const texts = await Promise.all(survivors.map((w) => scrape(w.url)));
    const sum = (series: string) => texts.reduce((s, t) => s + sample(t, series), 0);
    expect(sum('grades_lease_expiries_total{result="queued"}')).toBe(1);
    expect(sum('grades_job_runs_total{outcome="succeeded"}')).toBe(jobs.length);
    expect(sample(await scrape(apis[1]!.url), 'grades_jobs{status="succeeded"}')).toBe(jobs.length);
  }, 360_000);
});
