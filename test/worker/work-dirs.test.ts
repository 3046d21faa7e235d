import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../common/logger.ts";
import { claimWorkDir } from "../../worker/work-dirs.ts";

describe("work folders", () => {
  const roots: string[] = [];
  afterAll(async () => {
    for (const r of roots) await rm(r, { recursive: true, force: true });
  });

  it("removes a dead worker's folder (with a crashed run's files) at start, and keeps a live one's", async () => {
    const root = await mkdtemp(join(tmpdir(), "grades-work-"));
    roots.push(root);
    // A process that has exited: its pid is free (and very unlikely to be reused within the test).
    const dead = spawnSync(process.execPath, [
      "-e",
      "process.stdout.write(String(process.pid))",
    ]).stdout.toString();
    const make = async (name: string, pid: string | undefined) => {
      await mkdir(join(root, name, "ftjob-1-1-abc", "checkpoints"), { recursive: true });
      await writeFile(join(root, name, "ftjob-1-1-abc", "checkpoints", "w.bin"), "x");
      if (pid) await writeFile(join(root, name, "owner.pid"), pid);
    };
    await make("wrk_dead", dead);
    await make("wrk_live", String(process.ppid));
    await make("ftjob-old-1-def", undefined);

    const own = await claimWorkDir(root, "wrk_me", silentLogger());
    expect(own).toBe(join(root, "wrk_me"));
    expect((await readdir(root)).sort()).toEqual(["wrk_live", "wrk_me"]);
    expect(await readFile(join(own, "owner.pid"), "utf8")).toBe(String(process.pid));
    expect(await readdir(join(root, "wrk_live", "ftjob-1-1-abc", "checkpoints"))).toEqual(["w.bin"]);
  });
});
