// An imitation of a production install (`npm ci --omit=dev --workspaces=false`, as the images and the Lambda
// staging run it) for suites that run the built form with plain node: a folder with bin/, package.json, a copy of
// dist/ and a node_modules holding, as links into this checkout's, exactly the packages the lock installs without
// dev dependencies.
// dist/ is copied, not linked: node resolves a module's imports from its real path, so a linked dist/ would
// find every package of the checkout.
import { existsSync, readFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ensureBuilt, ROOT } from "./build.ts";

interface LockEntry {
  dev?: boolean;
  optional?: boolean;
  link?: boolean;
}

/** The lock's packages: "node_modules/<name>" (and nested paths) → entry. */
export function lockPackages(): Record<string, LockEntry & Record<string, unknown>> {
  return JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")).packages;
}

/**
 * Top-level packages `npm ci --omit=dev --workspaces=false` installs: the lock's entries not marked dev, less the
 * workspace links (their nested node_modules come along inside them).
 */
export function productionPackages(): string[] {
  return Object.entries(lockPackages())
    .filter(([path, e]) => /^node_modules\/(@[^/]+\/)?[^/]+$/.test(path) && !e.dev && !e.link)
    .map(([path]) => path.slice("node_modules/".length));
}

/**
 * Fills `dir`/node_modules with links into this checkout's node_modules, one per package `npm ci --omit=dev
 * --workspaces=false` installs.
 */
export async function linkProductionPackages(dir: string): Promise<void> {
  const optional = new Set(
    Object.entries(lockPackages())
      .filter(([, e]) => e.optional)
      .map(([path]) => path.slice("node_modules/".length)),
  );
  for (const name of productionPackages()) {
    const from = join(ROOT, "node_modules", name);
    // An optional package for another platform is in the lock but not installed here, nor in production.
    if (!existsSync(from) && optional.has(name)) continue;
    const to = join(dir, "node_modules", name);
    await mkdir(dirname(to), { recursive: true });
    await symlink(from, to);
  }
}

/** Makes the imitation (after `npm run build`); returns its folder and a cleanup. */
export async function makeProductionInstall(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dist = await ensureBuilt();
  const dir = await mkdtemp(join(tmpdir(), "grades-prod-install-"));
  await cp(join(ROOT, "bin"), join(dir, "bin"), { recursive: true });
  await cp(join(ROOT, "package.json"), join(dir, "package.json"));
  await cp(dist, join(dir, "dist"), { recursive: true });
  await linkProductionPackages(dir);
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
