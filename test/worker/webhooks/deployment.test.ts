// The dispatcher runs in every deployment form: inside `npm start` (embedded PGlite, nothing else started)
// and inside `npm run worker` (Postgres, beside a job worker). Each test sends a test event through the HTTP
// API and waits for it at a real receiver.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson } from "../../e2e/helpers.ts";
import { createTestApp } from "../../support/app.ts";
import { testDatabaseUrl } from "../../support/postgres.ts";
import { FAST_WEBHOOKS_ENV, Receiver, waitFor } from "./support.ts";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const KEY = "sk-test-webhooks-deployment";

function spawnEntry(entry: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", entry], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, ...FAST_WEBHOOKS_ENV, LOG_LEVEL: "error", GRADES_DEMO_MODEL: "false", ...env },
  });
}

async function stopChild(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  return new Promise((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.kill("SIGTERM");
  });
}

let receiver: Receiver;
let dataDir: string;
beforeAll(async () => {
  receiver = new Receiver();
  await receiver.start();
  dataDir = await mkdtemp(join(tmpdir(), "grades-webhooks-deploy-"));
});
afterAll(async () => {
  await receiver?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe("the webhook dispatcher in each deployment form", () => {
  it("runs inside npm start", async () => {
    const child = spawnEntry("infra/start.ts", {
      PORT: "0",
      HOST: "127.0.0.1",
      GRADES_DATA_DIR: dataDir,
      GRADES_API_KEY: KEY,
      GRADES_WORKER: "false",
    });
    try {
      let out = "";
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
      });
      const url = await waitFor("the banner", () => /running at (http:\/\/\S+)/.exec(out)?.[1], 180_000);
      const auth = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
      const created = await fetch(`${url}/v1/webhook_endpoints`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ url: receiver.url }),
      });
      const ep = (await created.json()) as { id: string };
      expect(created.status).toBe(200);
      await fetch(`${url}/v1/webhook_endpoints/${ep.id}/test`, { method: "POST", headers: auth });
      const got = await waitFor("the test event", () => receiver.received[0]);
      expect(JSON.parse(got.body)).toMatchObject({ type: "webhook_endpoint.test", data: { id: ep.id } });
    } finally {
      expect(await stopChild(child)).toBe(0);
      receiver.received.length = 0;
    }
    // A fresh data folder means initdb and every migration: minutes on a busy 2-core machine, seconds otherwise.
  }, 240_000);

  it.skipIf(!testDatabaseUrl())("runs inside npm run worker (Postgres)", async () => {
    const t = await createTestApp({ env: FAST_WEBHOOKS_ENV });
    const child = spawnEntry("infra/worker.ts", {
      DATABASE_URL: t.db.url!,
      GRADES_DATA_DIR: t.config.dataDir,
      GRADES_BACKEND: "cpu",
    });
    try {
      const res = await postJson(t, "/v1/webhook_endpoints", { url: receiver.url });
      const ep = (await res.json()) as { id: string };
      await postJson(t, `/v1/webhook_endpoints/${ep.id}/test`, {});
      const got = await waitFor("the test event", () => receiver.received[0], 60_000);
      expect(JSON.parse(got.body)).toMatchObject({ type: "webhook_endpoint.test", data: { id: ep.id } });
    } finally {
      expect(await stopChild(child)).toBe(0);
      await t.close();
    }
  });
});
