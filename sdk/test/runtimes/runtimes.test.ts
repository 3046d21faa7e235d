// The built SDK in the runtimes it promises besides Node: Bun and Deno (their binaries ship in the pinned `bun`
// and `deno` packages of runtimes/packages) run an ES module importing the build; the edge runtime (Vercel's Edge Runtime
// VM, web APIs only: no process, no require, no Node modules) evaluates the build bundled for the browser. Each
// makes real calls against the live service started here, and the service is checked for what they did.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { EdgeVM } from "@edge-runtime/vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerFakeBaseModel } from "../../../test/e2e/helpers.ts";
import {
  type BuiltSdk,
  buildSdk,
  bundleSdk,
  RUNTIMES_INSTALL,
  runtimesBin,
  SMOKE_BODY,
  smokeModule,
} from "../support/built-sdk.ts";
import { startTestService, type TestService } from "../support/service.ts";

const run = promisify(execFile);

const BINARIES = { bun: join(runtimesBin, "bun"), deno: join(runtimesBin, "deno") };
for (const [name, path] of Object.entries(BINARIES)) {
  if (!existsSync(path)) {
    console.warn(
      `SKIPPED: the ${name} runtime test: no ${name} binary at ${path} (${RUNTIMES_INSTALL} brings it)`,
    );
  }
}

let svc: TestService;
let sdk: BuiltSdk;

beforeAll(async () => {
  svc = await startTestService();
  await registerFakeBaseModel(svc.t, "runtime-base");
  sdk = await buildSdk();
}, 300_000);
afterAll(async () => {
  await sdk?.close();
  await svc?.close();
});

interface Smoke {
  runtime: string;
  id: string;
  retrieved: string;
  content: string;
  listed: string[];
  models: string[];
  notFound: number | string;
}

/** What every runtime must have done, checked on its answer and on the service's own rows. */
async function expectSmoke(result: Smoke, runtime: string) {
  expect(result).toMatchObject({
    runtime,
    retrieved: result.id,
    content: `hello from ${runtime}\n`,
    notFound: 404,
  });
  expect(result.listed).toContain(result.id);
  expect(result.models).toContain("runtime-base");
  const [row] = await svc.t.db.sql.query<{ filename: string; bytes: number }>(
    "select filename, bytes from files where id = $1",
    [result.id],
  );
  expect(row).toEqual({ filename: `${runtime}.txt`, bytes: `hello from ${runtime}\n`.length });
}

async function runModule(runtime: "bun" | "deno", args: string[]): Promise<Smoke> {
  const script = join(sdk.dir, `${runtime}-smoke.mjs`);
  await writeFile(script, smokeModule(sdk.entry, runtime, svc.apiKey, svc.baseURL));
  const { stdout } = await run(BINARIES[runtime], [...args, script], {
    cwd: sdk.dir,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: sdk.dir,
      DENO_DIR: join(sdk.dir, "deno-cache"),
      DENO_NO_UPDATE_CHECK: "1",
      DO_NOT_TRACK: "1",
      NO_COLOR: "1",
    },
    timeout: 120_000,
  });
  return JSON.parse(stdout.trim().split("\n").pop()!) as Smoke;
}

describe("the built SDK in other runtimes", () => {
  it.skipIf(!existsSync(BINARIES.bun))("runs on Bun against the live service", async () => {
    const { stdout } = await run(BINARIES.bun, ["--version"]);
    expect(stdout.trim()).toBe("1.4.5");
    await expectSmoke(await runModule("bun", ["run"]), "bun");
  });

  it.skipIf(!existsSync(BINARIES.deno))(
    "runs on Deno with network access to the service only, and no other permission",
    async () => {
      await expectSmoke(
        await runModule("deno", [
          "run",
          "--no-config",
          "--no-prompt",
          `--allow-net=${new URL(svc.url).host}`,
        ]),
        "deno",
      );
    },
  );

  it("runs in the edge runtime, where there is no Node module, process or require", async () => {
    const bundle = await bundleSdk(sdk.entry);
    const vm = new EdgeVM();
    expect(vm.evaluate("[typeof process, typeof require, typeof Buffer]")).toEqual([
      "undefined",
      "undefined",
      "undefined",
    ]);
    vm.evaluate(bundle);
    const params = JSON.stringify({ apiKey: svc.apiKey, baseURL: svc.baseURL, runtime: "edge" });
    const result = await vm.evaluate<Promise<Smoke>>(
      `(async ({ apiKey, baseURL, runtime }) => {
        const { default: Grades, NotFoundError } = GradesSDK;
        ${SMOKE_BODY}
      })(${params})`,
    );
    // The result crossed from the VM's realm: compare it as plain data.
    await expectSmoke(JSON.parse(JSON.stringify(result)) as Smoke, "edge");
  });
});
