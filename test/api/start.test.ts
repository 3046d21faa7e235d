// `npm start` as a newcomer runs it: a fresh data folder, no settings.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

interface Started {
  child: ChildProcess;
  output: string;
  url: string;
}

function start(env: Record<string, string>): Promise<Started> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "infra/start.ts"], {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: "0",
        HOST: "127.0.0.1",
        LOG_LEVEL: "warn",
        GRADES_WORKER: "false",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = /running at (http:\/\/\S+)/.exec(output);
      if (m && output.includes("/openapi.json")) {
        resolve({
          child,
          url: m[1]!,
          // Later lines (shutdown logs) keep arriving; read the output as it is when asserted.
          get output() {
            return output;
          },
        });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => reject(new Error(`start exited with ${code}:\n${output}`)));
  });
}

function stop(s: Started): Promise<number | null> {
  return new Promise((resolve) => {
    s.child.removeAllListeners("exit");
    s.child.on("exit", (code) => resolve(code));
    s.child.kill("SIGTERM");
  });
}

describe("npm start on a fresh machine", () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "grades-start-"));
  });
  afterAll(async () => rm(dataDir, { recursive: true, force: true }));

  it("creates a key and the demo model on first start, prints how to call it, and keeps both on restart", async () => {
    const first = await start({ GRADES_DATA_DIR: dataDir });
    const key = /(sk-grades-[A-Za-z0-9]{40})/.exec(first.output)?.[1];
    expect(key).toBeDefined();
    expect(first.output).toContain(`curl ${first.url}/v1/models -H "Authorization: Bearer ${key}"`);
    const models = await (
      await fetch(`${first.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })
    ).json();
    expect(
      models.data?.map((m: { id: string }) => m.id),
      JSON.stringify(models),
    ).toEqual(["demo-tiny"]);
    expect((await fetch(`${first.url}/health`)).status).toBe(200);
    expect(await stop(first), first.output).toBe(0);

    const second = await start({ GRADES_DATA_DIR: dataDir });
    expect(second.output, second.output).not.toMatch(/sk-grades-[A-Za-z0-9]{40}/);
    expect(second.output).toContain("npx grades keys create");
    const again = await (
      await fetch(`${second.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })
    ).json();
    expect(
      again.data?.map((m: { id: string }) => m.id),
      JSON.stringify(again),
    ).toEqual(["demo-tiny"]);
    expect(await stop(second), second.output).toBe(0);
  });

  it("seeds GRADES_API_KEY and stops with a message naming a bad variable", async () => {
    const seeded = await start({
      GRADES_DATA_DIR: dataDir,
      GRADES_API_KEY: "my-own-key-123",
      GRADES_DEMO_MODEL: "false",
    });
    expect(seeded.output).toContain("my-own-key-123");
    const res = await fetch(`${seeded.url}/v1/files`, {
      headers: { authorization: "Bearer my-own-key-123" },
    });
    expect(res.status).toBe(200);
    expect(await stop(seeded), seeded.output).toBe(0);

    await expect(start({ GRADES_DATA_DIR: dataDir, PORT: "not-a-port" })).rejects.toThrow(
      /exited with 1[\s\S]*PORT/,
    );
  });
});
