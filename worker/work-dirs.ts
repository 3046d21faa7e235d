// Each worker process runs its jobs in a folder of its own under the cache's `work/` (one per run inside it),
// marked with its process id. A run normally removes its folder; a process that crashed cannot, so a worker
// starting up removes the folders of processes on this machine that no longer exist. Workers sharing the cache
// (several on one machine) keep each other's folders while they live.
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../common/logger.ts";

const OWNER_FILE = "owner.pid";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Creates this worker's folder under `root` and removes those of dead processes; returns this worker's folder. */
export async function claimWorkDir(root: string, workerId: string, log: Logger): Promise<string> {
  // Worker ids hold a host name and colons; a folder name keeps only what every file system takes.
  const name = workerId.replace(/[^\w.-]/g, "_");
  await mkdir(root, { recursive: true });
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === name) continue;
    const dir = join(root, entry.name);
    const pid = Number(await readFile(join(dir, OWNER_FILE), "utf8").catch(() => ""));
    // A folder without an owner is a run folder from before folders were per worker, or a half-made one.
    if (Number.isInteger(pid) && pid > 0 && (pid === process.pid || alive(pid))) continue;
    await rm(dir, { recursive: true, force: true });
    log.info({ dir: entry.name }, "removed the work folder of a worker that is gone");
  }
  const own = join(root, name);
  await mkdir(own, { recursive: true });
  await writeFile(join(own, OWNER_FILE), String(process.pid));
  return own;
}
