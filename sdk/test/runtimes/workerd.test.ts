// The built SDK in Cloudflare's Workers runtime: workerd (its binary ships in the pinned `workerd` package
// of runtimes/packages) serves a worker whose fetch handler imports the build, bundled as one ES module, and makes real
// calls against the live service; the worker's outbound network is limited to this machine.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BuiltSdk,
  buildSdk,
  bundleSdk,
  RUNTIMES_INSTALL,
  runtimesBin,
  SMOKE_BODY,
} from "../support/built-sdk.ts";
import { startTestService, type TestService } from "../support/service.ts";

const WORKERD = join(runtimesBin, "workerd");
if (!existsSync(WORKERD)) {
  console.warn(
    `SKIPPED: the workerd runtime test: no workerd binary at ${WORKERD} (${RUNTIMES_INSTALL} brings it)`,
  );
}

const WORKER = `import Grades, { NotFoundError } from "./sdk.js";
export default {
  async fetch(request) {
    const { apiKey, baseURL, runtime } = await request.json();
    try {
      const result = await (async () => {${SMOKE_BODY}})();
      return Response.json(result);
    } catch (err) {
      return Response.json({ error: String(err && err.stack || err) }, { status: 500 });
    }
  },
};
`;

function config(port: number): string {
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "sdk.js", esModule = embed "sdk.js"),
  ],
  compatibilityDate = "2025-01-01",
  globalOutbound = "loopback",
);
`;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

let svc: TestService;
let sdk: BuiltSdk;
let workerd: ChildProcess | undefined;
let workerURL: string;
let stderr = "";

beforeAll(async () => {
  if (!existsSync(WORKERD)) return;
  svc = await startTestService();
  sdk = await buildSdk();
  await writeFile(join(sdk.dir, "sdk.js"), await bundleSdk(sdk.entry, "esm"));
  await writeFile(join(sdk.dir, "worker.js"), WORKER);
  const port = await freePort();
  await writeFile(join(sdk.dir, "config.capnp"), config(port));
  workerd = spawn(WORKERD, ["serve", join(sdk.dir, "config.capnp")], { cwd: sdk.dir, stdio: "pipe" });
  workerd.stderr?.on("data", (d) => {
    stderr += String(d);
  });
  workerURL = `http://127.0.0.1:${port}/`;
  // Ready once it answers (any status): the worker is compiled at start-up.
  for (let i = 0; ; i++) {
    try {
      await fetch(workerURL, { method: "HEAD" });
      break;
    } catch (err) {
      if (i > 300 || workerd.exitCode !== null)
        throw new Error(`workerd did not start: ${stderr}`, { cause: err });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}, 300_000);
afterAll(async () => {
  if (workerd && workerd.exitCode === null) {
    const exited = new Promise((r) => workerd!.once("exit", r));
    workerd.kill("SIGTERM");
    await exited;
  }
  await sdk?.close();
  await svc?.close();
});

describe("the built SDK in workerd", () => {
  it.skipIf(!existsSync(WORKERD))("runs in a Cloudflare worker against the live service", async () => {
    const res = await fetch(workerURL, {
      method: "POST",
      body: JSON.stringify({ apiKey: svc.apiKey, baseURL: svc.baseURL, runtime: "workerd" }),
    });
    const result = (await res.json()) as Record<string, unknown>;
    expect(result.error, stderr).toBeUndefined();
    expect(res.status).toBe(200);
    expect(result).toMatchObject({
      runtime: "workerd",
      retrieved: result.id,
      content: "hello from workerd\n",
      notFound: 404,
    });
    expect(result.listed).toContain(result.id);
    const [row] = await svc.t.db.sql.query<{ filename: string }>("select filename from files where id = $1", [
      result.id,
    ]);
    expect(row).toEqual({ filename: "workerd.txt" });
  });
});
