// `grades` in a production install: without tsx (a dev dependency), bin/grades.js runs the CLI `npm run build`
// compiled. The install is imitated by a folder whose node_modules has every package of this one but tsx.
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, rm, symlink } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIST, ensureBuilt, ROOT } from "../support/build.ts";

let install: string;

beforeAll(async () => {
  await ensureBuilt();
  install = await mkdtemp(join(tmpdir(), "grades-prod-install-"));
  await cp(join(ROOT, "bin"), join(install, "bin"), { recursive: true });
  await cp(join(ROOT, "package.json"), join(install, "package.json"));
  await symlink(DIST, join(install, "dist"));
  await mkdir(join(install, "node_modules"));
  for (const name of await readdir(join(ROOT, "node_modules"))) {
    if (name !== "tsx" && !name.startsWith("."))
      await symlink(join(ROOT, "node_modules", name), join(install, "node_modules", name));
  }
}, 300_000);
afterAll(async () => {
  if (install) await rm(install, { recursive: true, force: true });
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
