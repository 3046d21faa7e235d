// Waking an idle worker: a NOTIFY on the jobs channel (sent at commit when a job becomes claimable) ends the
// wait at once; the poll interval is the fallback for lost notifications and for jobs whose run_at arrives.

import type { Logger } from "../common/logger.ts";
import type { Sql } from "../db/client.ts";
import { JOBS_CHANNEL } from "../db/queue/queue.ts";

export class Wakeup {
  private waiter: (() => void) | undefined;
  private pending = false;
  private unlisten: (() => Promise<void>) | undefined;

  /** `channel`: the jobs channel by default; the webhook dispatcher listens on its own. */
  async listen(sql: Sql, log: Logger, channel: string = JOBS_CHANNEL): Promise<void> {
    try {
      this.unlisten = await sql.listen(channel, () => this.wake());
    } catch (err) {
      log.warn({ err }, "LISTEN failed; falling back to polling only");
    }
  }

  wake(): void {
    this.pending = true;
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** Resolves on the next wake-up (or one that arrived since the last wait) or after `ms`. */
  wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve();
      }, ms);
      this.waiter = () => {
        clearTimeout(timer);
        this.pending = false;
        resolve();
      };
    });
  }

  async close(): Promise<void> {
    await this.unlisten?.().catch(() => {});
    this.wake();
  }
}
