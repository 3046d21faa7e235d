// `npm run build:lambda`: stages the Lambda function's code into the folder that infra/lambda/template.yaml's
// CodeUri names and `sam deploy` zips as it is. It holds the compiled modules the handler imports (followed from
// dist/infra/lambda.js), the files they read beside themselves, package.json (for "type": "module") and the lock,
// and the production dependencies installed by `npm ci`. SAM's own Node builder is not used: it runs npm on the
// CodeUri folder, and on the repository, an npm workspace, sdk/'s `prepare` script needs the dev dependency tsc.
//   tsx infra/lambda/stage.ts [out]      after `npm run build`; out defaults to .build/lambda
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** The staged folder, relative to the repository root (the template's CodeUri points here). */
export const STAGE_DIR = ".build/lambda";
/** The module holding the handler, inside the staged folder (the template's Handler is this, less .js). */
export const ENTRY = "dist/infra/lambda.js";
/** Files in dist/ the function reads through paths relative to its modules (`npm run build` copies them there). */
const READ_BESIDE = [
  // api/docs.ts serves Scalar's standalone bundle for /docs from beside itself.
  "api/assets/api-reference.js",
];

/**
 * The production install, as the images run it. --workspaces=false: the lock also lists sdk/, which the function
 * does not need (infra/docker/app.Dockerfile says why the flag matters). --ignore-scripts: no production package
 * has an install script, and the root package's own lifecycle scripts have nothing to do here. --no-bin-links: no
 * symlinks in the zip; the function runs no package's command.
 */
export const NPM_CI_ARGS = [
  "ci",
  "--omit=dev",
  "--workspaces=false",
  "--ignore-scripts",
  "--no-bin-links",
  "--no-audit",
  "--no-fund",
];

const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']/g;

/**
 * The compiled modules `entry` reaches through relative imports (static ones and dynamic ones with a literal
 * specifier), as paths inside `dist`. The one dynamic import with a variable specifier, worker/engine/backend.ts's
 * optional native backends, names packages, not files of ours.
 */
export function importClosure(dist: string, entry: string): string[] {
  const seen = new Set<string>();
  const queue = [normalize(entry)];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file)) continue;
    const path = join(dist, file);
    if (!existsSync(path)) throw new Error(`${file} is imported but missing from ${dist}: run npm run build`);
    seen.add(file);
    for (const m of readFileSync(path, "utf8").matchAll(RELATIVE_IMPORT))
      queue.push(normalize(join(dirname(file), m[1]!)));
  }
  return [...seen].sort();
}

/** `npm ci` in the staged folder (needs the registry or a warm npm cache). */
export function npmInstall(dir: string): void {
  execFileSync("npm", NPM_CI_ARGS, { cwd: dir, stdio: "inherit" });
}

/**
 * Stages the function into `out` (emptied first) from the checkout's dist/; `install` fills its node_modules.
 * Returns the staged files of dist/, as paths inside `out`.
 */
export async function stageLambda(
  opts: { out?: string; install?: (dir: string) => void | Promise<void> } = {},
): Promise<string[]> {
  const { out = join(ROOT, STAGE_DIR), install = npmInstall } = opts;
  const dist = join(ROOT, "dist");
  const files = [...importClosure(dist, ENTRY.slice("dist/".length)), ...READ_BESIDE];
  rmSync(out, { recursive: true, force: true });
  for (const file of files) {
    const from = join(dist, file);
    if (!existsSync(from)) throw new Error(`${file} is missing from ${dist}: run npm run build`);
    mkdirSync(dirname(join(out, "dist", file)), { recursive: true });
    cpSync(from, join(out, "dist", file));
  }
  for (const file of ["package.json", "package-lock.json"]) cpSync(join(ROOT, file), join(out, file));
  await install(out);
  return files.map((f) => join("dist", f));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = resolve(process.argv[2] ?? join(ROOT, STAGE_DIR));
  const files = await stageLambda({ out });
  process.stdout.write(`staged ${files.length} files of dist/ and the production dependencies in ${out}\n`);
}
