// The interactive API reference at /docs, self-contained: the page loads Scalar's standalone browser bundle
// from this server (from the installed @scalar/api-reference package) instead of a CDN, and uses system
// fonts, so the reference works on a machine without internet access.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Scalar } from "@scalar/hono-api-reference";
import type { Hono } from "hono";
import type { AppEnv } from "./env.ts";

export const DOCS_SCRIPT_PATH = "/docs/assets/api-reference.js";

let bundle: Promise<string> | undefined;

/** `npm run build` copies the bundle beside the compiled file, so production installs need no @scalar/api-reference. */
function standaloneBundlePath(): string {
  const built = fileURLToPath(new URL("./assets/api-reference.js", import.meta.url));
  if (existsSync(built)) return built;
  return createRequire(import.meta.url).resolve("@scalar/api-reference/browser/standalone.js");
}

/** Read once, on first use: 3.5 MB that only a browser opening /docs needs. */
function standaloneBundle(): Promise<string> {
  bundle ??= readFile(standaloneBundlePath(), "utf8").catch((err: unknown) => {
    bundle = undefined;
    throw err;
  });
  return bundle;
}

export function mountDocs(app: Hono<AppEnv>, opts: { specUrl: string; title: string }): void {
  app.get(DOCS_SCRIPT_PATH, async (c) => {
    c.header("content-type", "text/javascript; charset=utf-8");
    c.header("cache-control", "public, max-age=3600");
    return c.body(await standaloneBundle());
  });
  app.get(
    "/docs",
    Scalar({
      url: opts.specUrl,
      pageTitle: opts.title,
      cdn: DOCS_SCRIPT_PATH,
      // The default fonts come from fonts.scalar.com; without them the page falls back to system fonts.
      withDefaultFonts: false,
      // "Ask AI" sends the document to Scalar's hosted service: not something a self-hosted reference should offer.
      agent: { disabled: true },
    }),
  );
}
