// `grades` in a production install: without tsx (a dev dependency), bin/grades.js runs the CLI `npm run build`
// compiled. The install is imitated by a folder holding the lock's production packages only.
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeProductionInstall } from "../support/production-install.ts";

let install: string;
let cleanup: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ dir: install, cleanup } = await makeProductionInstall());
}, 300_000);
afterAll(async () => {
  await cleanup?.();
});

describe("bin/grades.js without tsx", () => {
  it("runs the compiled CLI with plain node", async () => {
    // The imitation holds: tsx cannot be found from the install's bin/.
    expect(() => createRequire(join(install, "bin/grades.js")).resolve("tsx/esm/api")).toThrow();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(install, "bin/grades.js"), "--help"],
      {
        cwd: install,
      },
    );
    expect(stdout).toContain("Usage: grades");
    expect(stdout).toMatch(/keys\b/);
    expect(stdout).toMatch(/train\b/);
  });

  it("fails with the CLI's own message on a bad command, not a loader error", async () => {
    const run = promisify(execFile)(process.execPath, [join(install, "bin/grades.js"), "no-such-command"], {
      cwd: install,
    });
    const err = (await run.catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(err.code).toBe(1);
    expect(err.stderr).toContain("unknown command 'no-such-command'");
    expect(err.stderr).not.toContain("ERR_MODULE_NOT_FOUND");
  });
});
