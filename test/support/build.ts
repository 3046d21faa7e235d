// The production build (`npm run build` → dist/) for suites that run the compiled entry points with plain node.
// Built once and reused while no source is newer than the last build; suites running at the same time wait for
// one build instead of each starting their own (a lock directory).
import { execFile } from "node:child_process";
import { mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const DIST = join(ROOT, "dist");
const STAMP = join(DIST, ".built");
const LOCK = join(ROOT, ".cache", "build.lock");
const SOURCES = [
  "api",
  "db",
  "worker",
  "infra",
  "cli",
  "tsconfig.json",
  "tsconfig.build.json",
  "package.json",
];

async function newestMtime(path: string): Promise<number> {
  const s = await stat(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = s.mtimeMs;
  for (const entry of await readdir(path)) newest = Math.max(newest, await newestMtime(join(path, entry)));
  return newest;
}

async function upToDate(): Promise<boolean> {
  const built = await stat(STAMP).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  if (built === 0) return false;
  for (const source of SOURCES) if ((await newestMtime(join(ROOT, source))) > built) return false;
  return true;
}

async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  await mkdir(join(ROOT, ".cache"), { recursive: true });
  for (let waited = 0; ; waited += 500) {
    try {
      await mkdir(LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      // A lock older than any build is left over from a killed run.
      if (waited > 180_000) await rm(LOCK, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(LOCK, { recursive: true, force: true });
  }
}

/** Runs `npm run build` unless dist/ is newer than every source; returns dist/. */
export async function ensureBuilt(): Promise<string> {
  if (await upToDate()) return DIST;
  await withLock(async () => {
    if (await upToDate()) return;
    await promisify(execFile)("npm", ["run", "build", "--silent"], { cwd: ROOT, maxBuffer: 16 << 20 });
    await writeFile(STAMP, `${new Date().toISOString()}\n`);
  });
  return DIST;
}
