// Shared by the webhook suites: a real HTTP receiver (a server on 127.0.0.1 that records every request and
// answers as the test says), jobs moved through the real queue statements (each move writes its outbox row),
// the fast test settings of the dispatcher, and polling until a condition holds.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { queueStandInJob } from "../../../db/bench/stand-in-job.ts";
import type { SqlExecutor } from "../../../db/client.ts";
import { claim, DEFAULT_QUEUE_OPTIONS, succeed } from "../../../db/queue/queue.ts";

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** What the receiver does with a request: answer (status, body, headers) or leave it hanging. */
export type Answer = { status: number; body?: string; headers?: Record<string, string> } | "hang";

export class Receiver {
  readonly received: Received[] = [];
  answer: (req: Received, index: number) => Answer = () => ({ status: 200, body: "ok" });
  onRequest: ((req: Received) => void) | undefined;
  private server: Server | undefined;
  private readonly hanging = new Set<ServerResponse>();
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** Listens (again on the same port after stop(), as a receiver coming back from an outage). */
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const r: Received = {
          path: req.url ?? "",
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8"),
          at: performance.now(),
        };
        const index = this.received.push(r) - 1;
        this.onRequest?.(r);
        const a = this.answer(r, index);
        if (a === "hang") {
          this.hanging.add(res);
          return;
        }
        res.writeHead(a.status, a.headers ?? {}).end(a.body ?? "");
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Requests whose body is the event `eventId`. */
  ids(): string[] {
    return this.received.map((r) => String(r.headers["webhook-id"]));
  }
}

/**
 * Dispatcher settings that make the retry schedule take milliseconds, not hours. The timeout stays long: on a
 * busy machine a short one would time out answered requests and send them again (at least once, but tests
 * that count deliveries would see it); tests of the timeout set their own.
 */
export const FAST_WEBHOOKS_ENV: Record<string, string> = {
  GRADES_WEBHOOK_ALLOW_PRIVATE_TARGETS: "true",
  GRADES_WEBHOOK_RETRY_SCHEDULE:
    "0,0.05,0.05,0.05,0.05,0.05,0.05,0.05,0.05,0.05,0.05,0.05,0.05,0.05,0.05,0.05",
  GRADES_WEBHOOK_POLL_SECONDS: "0.05",
  GRADES_WEBHOOK_TIMEOUT_SECONDS: "30",
  GRADES_WEBHOOK_LEASE_SECONDS: "60",
};

export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A finished job's progress as a worker records it; `all_frozen`: GradES ended training early. */
export function progress(stopReason: "all_frozen" | "max_steps") {
  return {
    steps_completed: 12,
    total_steps: 40,
    train_loss: 0.5,
    valid_loss: null,
    frozen_fraction: stopReason === "all_frozen" ? 1 : 0.25,
    frozen_components: stopReason === "all_frozen" ? 8 : 2,
    total_components: 8,
    stop_reason: stopReason,
    tokens_per_second: null,
    estimated_compute_saved: null,
    resumed_from_step: null,
    components: {},
    history: [],
  };
}

/** Creates a job and moves it validating_files → queued → running → succeeded, as the API and a worker do. */
export async function runJob(
  sql: SqlExecutor,
  tenantId: string,
  stopReason: "all_frozen" | "max_steps" = "max_steps",
): Promise<string> {
  const job = await queueStandInJob(sql, tenantId);
  const worker = `test-worker-${job.id}`;
  const claimed = await claim(sql, worker, { ...DEFAULT_QUEUE_OPTIONS, runningPerTenant: 1000 });
  if (claimed?.id !== job.id) throw new Error(`claimed ${claimed?.id}, expected ${job.id}`);
  await succeed(sql, job.id, worker, {
    fineTunedModel: `ft:demo-tiny:${job.id}`,
    resultFiles: [],
    trainedTokens: 100,
    progress: progress(stopReason),
    backend: "cpu",
  });
  return job.id;
}
