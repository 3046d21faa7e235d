// A dispatcher process (`npm run webhooks`'s entry point) SIGKILLed while its request is at the receiver:
// the delivery's lease expires and another dispatcher delivers the event again, with the same webhook-id
// (at least once). Needs a database several processes share: real Postgres (TEST_DATABASE_URL).
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../../common/logger.ts";
import { startDispatcher } from "../../../worker/webhooks/index.ts";
import { postJson } from "../../e2e/helpers.ts";
import { createTestApp, type TestApp } from "../../support/app.ts";
import { testDatabaseUrl } from "../../support/postgres.ts";
import { FAST_WEBHOOKS_ENV, Receiver, runJob, waitFor } from "./support.ts";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const onPostgres = Boolean(testDatabaseUrl());
if (!onPostgres) console.warn("dispatcher-kill suite skipped: it needs TEST_DATABASE_URL");

const LEASE = { GRADES_WEBHOOK_LEASE_SECONDS: "2", GRADES_WEBHOOK_TIMEOUT_SECONDS: "1" };
let t: TestApp;
let receiver: Receiver;

function spawnDispatcher(): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "infra/webhooks.ts"], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      ...process.env,
      ...FAST_WEBHOOKS_ENV,
      ...LEASE,
      DATABASE_URL: t.db.url!,
      // The same data folder: the same secret key file as the API that created the endpoint.
      GRADES_DATA_DIR: t.config.dataDir,
      LOG_LEVEL: "error",
    },
  });
}

describe.skipIf(!onPostgres)("a dispatcher killed mid-delivery (Postgres)", () => {
  beforeAll(async () => {
    t = await createTestApp({ env: { ...FAST_WEBHOOKS_ENV, ...LEASE } });
    receiver = new Receiver();
    await receiver.start();
  });
  afterAll(async () => {
    await receiver?.stop();
    await t?.close();
  });

  it("another dispatcher delivers the event, with the same webhook-id", async () => {
    const res = await postJson(t, "/v1/webhook_endpoints", {
      url: receiver.url,
      events: ["fine_tuning.job.succeeded"],
    });
    const ep = (await res.json()) as { id: string; secret: string };
    // The first request hangs at the receiver: the process holding it is killed right then.
    receiver.answer = (_r, i) => (i === 0 ? "hang" : { status: 200 });
    const child = spawnDispatcher();
    const exited = new Promise((resolve) => child.once("exit", (_code, signal) => resolve(signal)));
    const jobId = await runJob(t.db.sql, t.tenantId);
    const first = await waitFor("the first attempt at the receiver", () => receiver.received[0], 60_000);
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");
    const [held] = await t.db.sql.query<{ status: string; locked_by: string }>(
      "select status, locked_by from webhook_deliveries where endpoint_id = $1",
      [ep.id],
    );
    expect(held).toMatchObject({ status: "delivering" });
    expect(held!.locked_by).toMatch(/^webhooks:\d+:/);

    const survivor = await startDispatcher({ db: t.db, logger: silentLogger(), config: t.config.webhooks });
    try {
      const second = await waitFor("the redelivery", () => receiver.received[1], 20_000);
      expect(second.headers["webhook-id"]).toBe(first.headers["webhook-id"]);
      expect(JSON.parse(second.body)).toMatchObject({
        type: "fine_tuning.job.succeeded",
        data: { id: jobId },
      });
      await waitFor("the delivery settled", async () => {
        const [row] = await t.db.sql.query<{ status: string }>(
          "select status from webhook_deliveries where endpoint_id = $1",
          [ep.id],
        );
        return row?.status === "succeeded";
      });
      // The killed process never recorded its attempt; the survivor's is attempt 2 of the delivery.
      const log = await t.db.sql.query<{ attempt: number; http_status: number }>(
        "select attempt, http_status from webhook_delivery_attempts where endpoint_id = $1",
        [ep.id],
      );
      expect(log).toEqual([{ attempt: 2, http_status: 200 }]);
    } finally {
      await survivor.stop();
    }
  });
});
