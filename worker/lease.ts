// Keeps a claimed job's lease alive and turns what the heartbeat learns into one abort signal for the engine:
// the API cancelled the job, asked it to pause, the lease was lost (rescued elsewhere), or the worker shuts down.

import type { Logger } from "../common/logger.ts";
import type { SqlExecutor } from "../db/client.ts";
import { heartbeat } from "../db/queue/queue.ts";
import { isTransient } from "./transient.ts";

export type StopCause = "cancel" | "pause" | "lost" | "shutdown";

export class LeaseKeeper {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private beating = false;
  cause: StopCause | null = null;

  constructor(
    private readonly sql: SqlExecutor,
    private readonly jobId: string,
    private readonly workerId: string,
    private readonly leaseSeconds: number,
    private readonly log: Logger,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Beats often enough that a cancel or pause reaches the job within a couple of seconds. */
  start(intervalMs = Math.min((this.leaseSeconds * 1000) / 3, 2000)): void {
    this.timer = setInterval(() => void this.beat(), intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  abort(cause: StopCause): void {
    if (this.cause) return;
    this.cause = cause;
    this.log.info({ job: this.jobId, cause }, "stopping the job's training");
    this.controller.abort(new Error(cause));
  }

  async beat(): Promise<void> {
    if (this.beating) return;
    this.beating = true;
    try {
      const r = await heartbeat(this.sql, this.jobId, this.workerId, this.leaseSeconds);
      if (!r) this.abort("lost");
      else if (r.status !== "running") this.abort("cancel");
      else if (r.pauseRequested) this.abort("pause");
    } catch (err) {
      // A dropped connection: the next beat retries; the lease outlives a few missed beats.
      this.log.warn({ job: this.jobId, err, transient: isTransient(err) }, "heartbeat failed");
    } finally {
      this.beating = false;
    }
  }
}
