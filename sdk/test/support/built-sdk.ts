// The SDK as it is published, for tests that load it outside vitest's module graph (other runtimes): sdk/src
// compiled by its own build configuration into a temp folder, so the checkout's dist/ stays as it is while other
// suites use it, and that build bundled into one script for runtimes that load no modules from disk.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";

const run = promisify(execFile);
export const sdkDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const rootBin = join(sdkDir, "..", "node_modules", ".bin");
/**
 * Where the other runtimes' binaries are: their packages are installed apart (runtimes/packages, `npm ci
 * --prefix sdk/test/runtimes/packages`, as .ci/run does), so a plain install of the repository does not fetch them.
 */
export const runtimesBin = join(sdkDir, "test", "runtimes", "packages", "node_modules", ".bin");
/** The command that installs them, for the skip messages. */
export const RUNTIMES_INSTALL = "npm ci --prefix sdk/test/runtimes/packages";

export interface BuiltSdk {
  dir: string;
  /** The build's entry module, dist/index.js of the package. */
  entry: string;
  close(): Promise<void>;
}

export async function buildSdk(): Promise<BuiltSdk> {
  const dir = await mkdtemp(join(tmpdir(), "grades-sdk-build-"));
  const outDir = join(dir, "dist");
  await run(join(rootBin, "tsc"), ["-p", join(sdkDir, "tsconfig.build.json"), "--outDir", outDir]);
  return { dir, entry: join(outDir, "index.js"), close: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * The build as one file for a browser-like platform: a script whose global `GradesSDK` holds the package's
 * exports (`iife`), or one ES module (`esm`). esbuild refuses a static import of a Node module on this platform,
 * so building is itself the check.
 */
export async function bundleSdk(entry: string, format: "iife" | "esm" = "iife"): Promise<string> {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format,
    ...(format === "iife" ? { globalName: "GradesSDK" } : {}),
    platform: "browser",
    target: "es2022",
    logLevel: "silent",
  });
  return out.outputFiles[0]!.text;
}

/**
 * What each runtime does with the SDK, as the body of an async function with `Grades`, `NotFoundError`,
 * `apiKey`, `baseURL` and `runtime` in scope: upload, retrieve, download, list, and a typed 404.
 */
export const SMOKE_BODY = `
  const client = new Grades({ apiKey, baseURL, maxRetries: 0 });
  const file = await client.files.create({
    file: new Blob(["hello from " + runtime + "\\n"], { type: "text/plain" }),
    filename: runtime + ".txt",
    purpose: "batch",
  });
  const retrieved = await client.files.retrieve(file.id);
  const content = await (await client.files.content(file.id)).text();
  const listed = [];
  for await (const f of client.files.list({ limit: 1 })) listed.push(f.id);
  const models = (await client.models.list()).data.map((m) => m.id);
  const missing = await client.files.retrieve("file-none").then(() => null, (e) => e);
  // Which runtime this really is, by the globals only it defines.
  const detected = typeof Bun !== "undefined" ? "bun" : typeof Deno !== "undefined" ? "deno"
    : globalThis.navigator?.userAgent === "Cloudflare-Workers" ? "workerd"
    : typeof EdgeRuntime === "string" ? "edge" : typeof process !== "undefined" ? "node"
    : typeof document !== "undefined" ? "browser" : "unknown";
  return {
    runtime: detected,
    id: file.id,
    retrieved: retrieved.id,
    content,
    listed,
    models,
    notFound: missing instanceof NotFoundError ? missing.status : String(missing),
  };
`;

/** An ES module that imports the build, runs SMOKE_BODY and prints its result as one JSON line. */
export function smokeModule(entry: string, runtime: string, apiKey: string, baseURL: string): string {
  return `import Grades, { NotFoundError } from ${JSON.stringify(entry)};
const apiKey = ${JSON.stringify(apiKey)};
const baseURL = ${JSON.stringify(baseURL)};
const runtime = ${JSON.stringify(runtime)};
const result = await (async () => {${SMOKE_BODY}})();
console.log(JSON.stringify(result));
`;
}
