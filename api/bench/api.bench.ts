// `npm run bench:api`: the API's figures on this machine, over loopback.
//  1. Upload throughput (MB/s) of one 200 MB JSONL file through POST /v1/files (streamed, validated line by
//     line, stored in the local object folder), and the server process's peak resident memory (VmHWM).
//  2. p50/p99 latency of GET /v1/files at 50 concurrent clients on real Postgres.
// The server runs as a child process so its memory is measured alone. The bench creates its own Postgres
// database (BENCH_DATABASE_URL names the server, default postgres://postgres@127.0.0.1:5432/postgres) and
// drops it at the end.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";

const SERVER_URL = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const UPLOAD_MB = Number(process.env.BENCH_UPLOAD_MB ?? 200);
const CONCURRENCY = 50;
const LIST_REQUESTS = Number(process.env.BENCH_LIST_REQUESTS ?? 10_000);
const LIST_SECONDS_MAX = 30;
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

async function withAdmin<T>(fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(SERVER_URL, { max: 1, onnotice: () => {} });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** One chat example padded to exactly `size` bytes including its newline, so the file size is exact. */
function exampleLine(i: number, size: number): Buffer {
  const head = `{"messages":[{"role":"user","content":"question ${i}"},{"role":"assistant","content":"`;
  const tail = `"}]}\n`;
  const pad = size - Buffer.byteLength(head) - Buffer.byteLength(tail);
  return Buffer.from(head + "x".repeat(pad) + tail);
}

async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

function startServer(env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "infra/api.ts"], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let buf = "";
    child.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      const m = /"url":"http:\/\/[^:]+:(\d+)"/.exec(buf);
      if (m) {
        // Keep draining the access log so the server never blocks on a full pipe.
        buf = "";
        child.stdout!.removeAllListeners("data");
        child.stdout!.resume();
        resolve({ child, port: Number(m[1]) });
      }
    });
    child.on("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });
}

/** A tenant's API key, made as an operator makes one: `grades keys create` (which also migrates the database). */
function createKey(databaseUrl: string, dataDir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["bin/grades.js", "keys", "create", "--tenant", "bench"],
      { cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl, GRADES_DATA_DIR: dataDir } },
      (err, stdout) => (err ? reject(err) : resolve(stdout.trim())),
    );
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = http.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** POSTs a generated JSONL file of `totalBytes` as multipart, streamed with backpressure. */
function uploadGenerated(
  port: number,
  key: string,
  totalBytes: number,
): Promise<{ status: number; body: string }> {
  const boundary = `----grades${randomBytes(8).toString("hex")}`;
  const pre = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nfine-tune\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.jsonl"\r\nContent-Type: application/jsonl\r\n\r\n`,
  );
  const post = Buffer.from(`\r\n--${boundary}--\r\n`);
  const LINE = 1000;
  const lines = Math.floor(totalBytes / LINE);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/v1/files",
        headers: {
          authorization: `Bearer ${key}`,
          "content-type": `multipart/form-data; boundary=${boundary}`,
          "content-length": pre.length + lines * LINE + post.length,
        },
      },
      (res) => {
        let body = "";
        res.on("data", (d) => {
          body += d;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.write(pre);
    let i = 0;
    const batch = 256;
    const pump = () => {
      while (i < lines) {
        const chunk = Buffer.concat(
          Array.from({ length: Math.min(batch, lines - i) }, (_, k) => exampleLine(i + k, LINE)),
        );
        i += batch;
        if (!req.write(chunk)) {
          req.once("drain", pump);
          return;
        }
      }
      req.end(post);
    };
    pump();
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main() {
  const dbName = `grades_bench_${randomBytes(4).toString("hex")}`;
  await withAdmin((sql) => sql.unsafe(`create database ${dbName}`));
  const url = new URL(SERVER_URL);
  url.pathname = `/${dbName}`;
  const dataDir = await mkdtemp(join(tmpdir(), "grades-bench-api-"));
  let child: ChildProcess | undefined;
  try {
    const key = await createKey(url.toString(), dataDir);

    const port = await freePort();
    const started = await startServer({
      DATABASE_URL: url.toString(),
      GRADES_DATA_DIR: dataDir,
      PORT: String(port),
      HOST: "127.0.0.1",
      GRADES_DEMO_MODEL: "false",
      // The list benchmark sends thousands of requests with one key: measure the API, not the limiter.
      GRADES_RATE_LIMIT_PER_MINUTE: "0",
      LOG_LEVEL: "info",
    });
    child = started.child;
    const pid = child.pid!;
    const idleRss = await peakRssMb(pid);

    // 1. Upload.
    const bytes = UPLOAD_MB * 1_000_000;
    const t0 = performance.now();
    const res = await uploadGenerated(port, key, bytes);
    const seconds = (performance.now() - t0) / 1000;
    if (res.status !== 200) throw new Error(`upload failed: ${res.status} ${res.body}`);
    const stored = JSON.parse(res.body) as { bytes: number };
    const peak = await peakRssMb(pid);
    console.log(
      `upload: ${(stored.bytes / 1e6).toFixed(0)} MB JSONL (1 KB lines, validated, local object folder)`,
    );
    console.log(
      `  time ${seconds.toFixed(2)} s, throughput ${(stored.bytes / 1e6 / seconds).toFixed(1)} MB/s`,
    );
    console.log(
      `  server peak RSS ${peak.toFixed(0)} MB (after start-up, before upload: ${idleRss.toFixed(0)} MB)`,
    );

    // 2. List latency: 100 files in the tenant, pages of 20.
    for (let i = 0; i < 99; i++) {
      const small = await uploadGenerated(port, key, 2000);
      if (small.status !== 200) throw new Error(`seed upload failed: ${small.body}`);
    }
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const get = () =>
      new Promise<number>((resolve, reject) => {
        const t = performance.now();
        http
          .get(
            {
              host: "127.0.0.1",
              port,
              path: "/v1/files?limit=20",
              agent,
              headers: { authorization: `Bearer ${key}` },
            },
            (r) => {
              r.resume();
              r.on("end", () =>
                r.statusCode === 200
                  ? resolve(performance.now() - t)
                  : reject(new Error(`status ${r.statusCode}`)),
              );
            },
          )
          .on("error", reject);
      });
    for (let i = 0; i < 200; i++) await get(); // warm-up
    const latencies: number[] = [];
    let issued = 0;
    const deadline = performance.now() + LIST_SECONDS_MAX * 1000;
    const tl = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (issued < LIST_REQUESTS && performance.now() < deadline) {
          issued++;
          latencies.push(await get());
        }
      }),
    );
    const elapsed = (performance.now() - tl) / 1000;
    agent.destroy();
    latencies.sort((a, b) => a - b);
    console.log(
      `GET /v1/files?limit=20 (100 files), ${CONCURRENCY} concurrent clients, Postgres, ${latencies.length} requests:`,
    );
    console.log(
      `  p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, ` +
        `${(latencies.length / elapsed).toFixed(0)} requests/s`,
    );
  } finally {
    child?.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 500));
    await withAdmin((sql) => sql.unsafe(`drop database if exists ${dbName} with (force)`));
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
