// Webhook benchmark on real Postgres and a local HTTP receiver. Prints:
//   1. latency from a state change committing (the API moving a job to queued) to the receiver having the
//      event, p50/p99, one change at a time on an idle in-process dispatcher;
//   2. deliveries per second draining a backlog, with 1 and with 4 dispatchers side by side;
//   3. events lost across a receiver outage and a SIGKILLed dispatcher process (must be 0): two dispatcher
//      processes (`npm run webhooks`'s entry point) deliver while events keep coming; the receiver goes away
//      for a while; one process is killed mid-run and another started. Lost = events never received.
// Usage: npm run bench:webhooks [-- --server postgres://postgres@127.0.0.1:5432/postgres --latency 300 --backlog 3000 --chaos 1500]
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadConfig } from "../../../common/config.ts";
import { silentLogger } from "../../../common/logger.ts";
import { percentile, withFreshDatabase } from "../../../db/bench/fresh-database.ts";
import { queueStandInJob } from "../../../db/bench/stand-in-job.ts";
import { type Database, migrate, openDatabase, type SqlExecutor } from "../../../db/client.ts";
import { createEndpoint } from "../../../db/webhooks/endpoints.ts";
import { secretBox } from "../../../db/webhooks/secrets.ts";
import { type RunningDispatcher, startDispatcher } from "../index.ts";

const { values } = parseArgs({
  options: {
    server: { type: "string", default: "postgres://postgres@127.0.0.1:5432/postgres" },
    latency: { type: "string", default: "300" },
    backlog: { type: "string", default: "3000" },
    chaos: { type: "string", default: "1500" },
  },
});
const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const TENANT = "org-bench";
const SECRET_KEY = randomBytes(32).toString("base64");
// The production defaults, except: local receiver allowed, and a retry schedule of seconds (the documented
// one spans 27 hours) so that the outage part ends in a minute.
const ENV = {
  GRADES_WEBHOOK_SECRET_KEY: SECRET_KEY,
  GRADES_WEBHOOK_ALLOW_PRIVATE_TARGETS: "true",
  GRADES_WEBHOOK_RETRY_SCHEDULE: `0,${Array(40).fill("0.5").join(",")}`,
  GRADES_WEBHOOK_TIMEOUT_SECONDS: "2",
  GRADES_WEBHOOK_LEASE_SECONDS: "4",
  LOG_LEVEL: "silent",
};
const config = loadConfig(ENV).webhooks;

/** A receiver answering 204 at once, noting when each event id first arrived. */
class Receiver {
  readonly firstSeen = new Map<string, number>();
  requests = 0;
  private server: Server | undefined;
  port = 0;
  onEvent: ((body: { type: string; data: { id: string } }, at: number) => void) | undefined;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const at = performance.now();
        this.requests++;
        const id = String(req.headers["webhook-id"]);
        if (!this.firstSeen.has(id)) this.firstSeen.set(id, at);
        this.onEvent?.(JSON.parse(Buffer.concat(chunks).toString("utf8")), at);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => this.server!.listen(this.port, "127.0.0.1", r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    s?.closeAllConnections();
    await new Promise<void>((r) => (s ? s.close(() => r()) : r()));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }
}

const queuedJob = async (sql: SqlExecutor) => (await queueStandInJob(sql, TENANT)).id;

async function setUp(url: string, receiver: Receiver): Promise<Database> {
  const db = await openDatabase({ databaseUrl: url });
  await migrate(db);
  await db.sql.query("insert into tenants (id, name) values ($1, $1) on conflict do nothing", [TENANT]);
  await db.sql.query("delete from webhook_endpoints");
  await createEndpoint(db.db, secretBox(config), TENANT, {
    url: receiver.url,
    events: ["fine_tuning.job.queued"],
    description: "bench",
    enabled: true,
  });
  return db;
}

async function waitUntil(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function latencyBench(url: string, n: number): Promise<void> {
  const receiver = new Receiver();
  await receiver.start();
  const db = await setUp(url, receiver);
  const dispatcher = await startDispatcher({ db, logger: silentLogger(), config });
  const arrived = new Map<string, number>();
  receiver.onEvent = (e, at) => arrived.set(e.data.id, at);
  const latencies: number[] = [];
  for (let i = 0; i < n; i++) {
    // markQueued returns once its statement committed: the outbox row is visible from then on.
    const jobId = await queuedJob(db.sql);
    const committed = performance.now();
    await waitUntil("the event", () => arrived.has(jobId), 10_000);
    latencies.push(arrived.get(jobId)! - committed);
    await new Promise((r) => setTimeout(r, 5));
  }
  latencies.sort((a, b) => a - b);
  console.log(
    `commit → receipt latency ms (${n} state changes, one at a time, NOTIFY-woken dispatcher): ` +
      `p50 ${percentile(latencies, 50).toFixed(1)}, p99 ${percentile(latencies, 99).toFixed(1)}, max ${latencies.at(-1)!.toFixed(1)}`,
  );
  await dispatcher.stop();
  await db.close();
  await receiver.stop();
}

async function throughputBench(url: string, n: number, dispatchers: number): Promise<void> {
  const receiver = new Receiver();
  await receiver.start();
  const db = await setUp(url, receiver);
  await db.sql.query("delete from webhook_outbox");
  for (let i = 0; i < n; i += 100) {
    await db.sql.transaction(async (tx) => {
      for (let k = i; k < Math.min(n, i + 100); k++) await queuedJob(tx);
    });
  }
  const dbs = await Promise.all(
    Array.from({ length: dispatchers }, () => openDatabase({ databaseUrl: url })),
  );
  const t0 = performance.now();
  const running: RunningDispatcher[] = await Promise.all(
    dbs.map((d) => startDispatcher({ db: d, logger: silentLogger(), config })),
  );
  await waitUntil("the backlog", () => receiver.firstSeen.size >= n, 300_000);
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    `throughput, ${n} events, ${dispatchers} dispatcher(s) × concurrency ${config.concurrency}: ` +
      `${(n / seconds).toFixed(0)} deliveries/s (${seconds.toFixed(2)} s; ${receiver.requests - n} duplicate requests)`,
  );
  await Promise.all(running.map((d) => d.stop()));
  await Promise.all(dbs.map((d) => d.close()));
  await db.close();
  await receiver.stop();
}

function spawnDispatcher(url: string): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "infra/webhooks.ts"], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      ...process.env,
      ...ENV,
      DATABASE_URL: url,
      GRADES_DATA_DIR: join(tmpdir(), "grades-bench-webhooks"),
    },
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function chaosBench(url: string, n: number): Promise<void> {
  const receiver = new Receiver();
  await receiver.start();
  const db = await setUp(url, receiver);
  await db.sql.query("delete from webhook_outbox");
  const children = [spawnDispatcher(url), spawnDispatcher(url)];
  const jobs: string[] = [];
  const produce = (async () => {
    for (let i = 0; i < n; i++) {
      jobs.push(await queuedJob(db.sql));
      if (i % 10 === 0) await sleep(5);
    }
  })();
  const chaos = (async () => {
    await waitUntil("first deliveries", () => receiver.firstSeen.size > n / 10, 120_000);
    await receiver.stop();
    console.log(`  receiver down after ${receiver.firstSeen.size} events`);
    await sleep(3000);
    await receiver.start();
    console.log("  receiver back on the same port");
    await waitUntil("more deliveries", () => receiver.firstSeen.size > n / 2, 120_000);
    children[0]!.kill("SIGKILL");
    console.log(
      `  dispatcher process ${children[0]!.pid} SIGKILLed after ${receiver.firstSeen.size} events; starting another`,
    );
    children.push(spawnDispatcher(url));
  })();
  await Promise.all([produce, chaos]);
  const ids = new Set(
    (
      await db.sql.query<{ id: string }>(
        "select id from webhook_outbox where type = 'fine_tuning.job.queued' and tenant_id = $1",
        [TENANT],
      )
    ).map((r) => r.id),
  );
  try {
    await waitUntil("every event", () => [...ids].every((id) => receiver.firstSeen.has(id)), 120_000);
  } catch {
    // Reported below as lost.
  }
  const lost = [...ids].filter((id) => !receiver.firstSeen.has(id)).length;
  console.log(
    `outage + SIGKILL: ${ids.size} events, ${ids.size - lost} received, ${receiver.requests - (ids.size - lost)} ` +
      `duplicate or retried requests (at-least-once), lost ${lost}`,
  );
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGTERM");
  await Promise.all(
    children.map(
      (c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once("exit", r))),
    ),
  );
  await db.close();
  await receiver.stop();
  if (lost > 0) process.exitCode = 1;
}

const server = values.server!;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
console.log(`machine: ${cpus().length} cores, load average ${load()} at start`);
await withFreshDatabase(server, async (url) => {
  await latencyBench(url, Number(values.latency));
  await throughputBench(url, Number(values.backlog), 1);
  await throughputBench(url, Number(values.backlog), 4);
  if (Number(values.chaos) > 0) await chaosBench(url, Number(values.chaos));
});
console.log(`load average ${load()} at the end`);
