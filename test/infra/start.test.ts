// `npm start` as a newcomer runs it: a fresh data folder, no settings. The same checks run on the production
// build (`npm run build`, then `node dist/infra/start.js`: no tsx at run time).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILTIN_MODEL_NAME } from "../../models/builtin.ts";
import { ensureBuilt } from "../support/build.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

interface Started {
  child: ChildProcess;
  output: string;
  url: string;
}

const FORMS = [
  {
    form: "npm start on a fresh machine",
    command: [process.execPath, "--import", "tsx", "infra/start.ts"],
    prepare: async () => {},
  },
  {
    form: "the production build (node dist/infra/start.js) on a fresh machine",
    command: [process.execPath, "dist/infra/start.js"],
    prepare: ensureBuilt,
  },
];

function start(env: Record<string, string>, command: string[]): Promise<Started> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), {
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

describe.each(FORMS)("$form", ({ command, prepare }) => {
  let dataDir: string;
  beforeAll(async () => {
    await prepare();
    dataDir = await mkdtemp(join(tmpdir(), "grades-start-"));
  }, 300_000);
  afterAll(async () => rm(dataDir, { recursive: true, force: true }));

  it("creates a key and the built-in model on first start, prints how to call it, and keeps both on restart", async () => {
    const first = await start({ GRADES_DATA_DIR: dataDir }, command);
    const key = /(sk-grades-[A-Za-z0-9]{40})/.exec(first.output)?.[1];
    expect(key).toBeDefined();
    expect(first.output).toContain(`curl ${first.url}/v1/models -H "Authorization: Bearer ${key}"`);
    const models = await (
      await fetch(`${first.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })
    ).json();
    // Both rows are written in one transaction, so they share a creation time and list by name.
    expect(
      models.data?.map((m: { id: string }) => m.id),
      JSON.stringify(models),
    ).toEqual(["demo-tiny", BUILTIN_MODEL_NAME]);
    expect((await fetch(`${first.url}/health`)).status).toBe(200);
    expect(await stop(first), first.output).toBe(0);

    const second = await start({ GRADES_DATA_DIR: dataDir }, command);
    expect(second.output, second.output).not.toMatch(/sk-grades-[A-Za-z0-9]{40}/);
    expect(second.output).toContain("npx grades keys create");
    const again = await (
      await fetch(`${second.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })
    ).json();
    expect(
      again.data?.map((m: { id: string }) => m.id),
      JSON.stringify(again),
    ).toEqual(["demo-tiny", BUILTIN_MODEL_NAME]);
    expect(await stop(second), second.output).toBe(0);
  });

  it.skipIf(command.includes("dist/infra/start.js"))(
    "shuts down cleanly when a process manager sends SIGTERM to `npm start` itself",
    async () => {
      // npm passes the signal to the script's shell only: the script must exec the service so that it gets it.
      // The signal comes right after the banner: the service must already be listening for it then.
      const s = await start({ GRADES_DATA_DIR: dataDir, GRADES_DEMO_MODEL: "false", LOG_LEVEL: "info" }, [
        "npm",
        "start",
        "--silent",
      ]);
      const servicePid = Number(/"pid":(\d+)/.exec(s.output)?.[1]);
      expect(servicePid).toBeGreaterThan(0);
      const alive = () => {
        try {
          process.kill(servicePid, 0);
          return true;
        } catch {
          return false;
        }
      };
      try {
        await stop(s); // npm itself exits at once with 143; what matters is the service behind it.
        for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
        expect(alive(), s.output).toBe(false);
        // Every writer of the output pipe is gone: read it to its end before looking at it.
        const out = s.child.stdout!;
        if (!out.readableEnded) await new Promise((r) => out.once("end", r));
        expect(s.output).toContain('"msg":"shutting down"');
        await expect(fetch(`${s.url}/health`)).rejects.toThrow();
      } finally {
        // Without the exec, the service outlives npm: end it here rather than leave it running.
        if (servicePid) {
          try {
            process.kill(servicePid, "SIGKILL");
          } catch {}
        }
      }
    },
  );

  it("seeds GRADES_API_KEY and stops with a message naming a bad variable", async () => {
    const seeded = await start(
      {
        GRADES_DATA_DIR: dataDir,
        GRADES_API_KEY: "my-own-key-123",
        GRADES_DEMO_MODEL: "false",
      },
      command,
    );
    expect(seeded.output).toContain("my-own-key-123");
    const res = await fetch(`${seeded.url}/v1/files`, {
      headers: { authorization: "Bearer my-own-key-123" },
    });
    expect(res.status).toBe(200);
    expect(await stop(seeded), seeded.output).toBe(0);

    await expect(start({ GRADES_DATA_DIR: dataDir, PORT: "not-a-port" }, command)).rejects.toThrow(
      /exited with 1[\s\S]*PORT/,
    );
  });
});
