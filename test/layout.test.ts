// The layout rules of DESIGN.md, checked on the source: dependencies point one way (nothing imports infra/),
// benchmarks reach other folders only through their public index, and test/ mirrors the source folders.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SOURCE_FOLDERS = ["api", "cli", "common", "db", "infra", "worker"];
/** What other folders may import of a folder. */
const PUBLIC_ENTRIES = ["api/index.ts", "worker/index.ts", "worker/engine/index.ts"];

function files(dir: string, test: (path: string) => boolean): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...files(path, test));
    else if (test(path)) out.push(path);
  }
  return out;
}

/** The repository paths a file imports (relative specifiers only, static and dynamic). */
function imports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  return [...text.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)].map((m) =>
    normalize(join(dirname(file), m[1]!)),
  );
}

const sources = SOURCE_FOLDERS.flatMap((f) => files(f, (p) => /\.(ts|mjs)$/.test(p)));

describe("the source layout", () => {
  it("has no import from db/, api/, worker/ or common/ up into infra/", () => {
    const upward = sources
      .filter((f) => /^(api|common|db|worker)\//.test(f))
      .flatMap((f) =>
        imports(f)
          .filter((i) => i.startsWith("infra/"))
          .map((i) => `${f} → ${i}`),
      );
    expect(upward).toEqual([]);
  });

  it("keeps common/ below everything: it imports nothing of ours", () => {
    const out = sources
      .filter((f) => f.startsWith("common/"))
      .flatMap((f) =>
        imports(f)
          .filter((i) => !i.startsWith("common/"))
          .map((i) => `${f} → ${i}`),
      );
    expect(out).toEqual([]);
  });

  it("has benchmarks import other folders only through their public index or common/", () => {
    const benches = sources.filter((f) => f.includes("/bench/"));
    expect(benches.length).toBeGreaterThanOrEqual(4);
    const internals = benches.flatMap((f) => {
      const own = f.slice(0, f.indexOf("/bench/") + 1);
      return imports(f)
        .filter((i) => !i.startsWith(own) && !i.startsWith("common/") && !PUBLIC_ENTRIES.includes(i))
        .map((i) => `${f} → ${i}`);
    });
    expect(internals).toEqual([]);
  });

  it("has test/ mirror the source folders (test/e2e and support files aside)", () => {
    const tests = files("test", (p) => p.endsWith(".test.ts") && !p.startsWith("test/e2e/"));
    const orphans = tests
      .map((t) => relative("test", dirname(t)))
      .filter((dir) => dir !== "" && !existsSync(join(ROOT, dir)));
    expect([...new Set(orphans)]).toEqual([]);
  });
});
