// The built SDK in a real browser: headless Chromium (Debian's package; its absence skips this suite, saying
// so) loads the build bundled for the browser from a page and makes real calls against the live service. The
// page and the API share one origin, as when the service is served behind the app's own host: the API sends no
// CORS headers.
import { existsSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import puppeteer, { type Browser } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BuiltSdk, buildSdk, bundleSdk, SMOKE_BODY } from "../support/built-sdk.ts";
import { startTestService, type TestService } from "../support/service.ts";

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
if (!CHROMIUM) {
  console.warn("SKIPPED: the browser test: no Chromium at /usr/bin/chromium (apt-get install chromium)");
}

let svc: TestService;
let sdk: BuiltSdk;
let site: Server;
let origin: string;
let browser: Browser;

beforeAll(async () => {
  if (!CHROMIUM) return;
  svc = await startTestService();
  sdk = await buildSdk();
  const bundle = await bundleSdk(sdk.entry);
  const upstream = new URL(svc.url);
  // The app's origin: its page, the SDK bundle, and /v1 passed on to the service.
  site = createServer((req, res) => {
    if (req.url === "/") {
      res.writeHead(200, { "content-type": "text/html" });
      res.end('<!doctype html><title>sdk</title><script src="/sdk.js"></script>');
    } else if (req.url === "/sdk.js") {
      res.writeHead(200, { "content-type": "text/javascript" });
      res.end(bundle);
    } else if (req.url?.startsWith("/v1/")) {
      const forwarded = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          path: req.url,
          method: req.method,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forwarded.on("error", () => res.destroy());
      req.pipe(forwarded);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => site.listen(0, "127.0.0.1", r));
  origin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in a container has no user namespace for Chromium's sandbox.
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
}, 300_000);
afterAll(async () => {
  await browser?.close();
  await new Promise((r) => (site ? site.close(r) : r(undefined)));
  await sdk?.close();
  await svc?.close();
});

describe("the built SDK in a browser", () => {
  it.skipIf(!CHROMIUM)(
    "uploads, reads, lists and gets a typed 404 from a page in headless Chromium",
    async () => {
      const page = await browser.newPage();
      const failures: string[] = [];
      page.on("pageerror", (err) => failures.push(String(err)));
      await page.goto(`${origin}/`);
      const params = JSON.stringify({ apiKey: svc.apiKey, baseURL: `${origin}/v1`, runtime: "browser" });
      const result = (await page.evaluate(
        `(async ({ apiKey, baseURL, runtime }) => {
        const { default: Grades, NotFoundError } = GradesSDK;
        ${SMOKE_BODY}
      })(${params})`,
      )) as {
        runtime: string;
        id: string;
        retrieved: string;
        content: string;
        listed: string[];
        notFound: number;
      };
      expect(failures).toEqual([]);
      expect(result).toMatchObject({
        runtime: "browser",
        retrieved: result.id,
        content: "hello from browser\n",
        notFound: 404,
      });
      expect(result.listed).toContain(result.id);
      const [row] = await svc.t.db.sql.query<{ filename: string }>(
        "select filename from files where id = $1",
        [result.id],
      );
      expect(row).toEqual({ filename: "browser.txt" });
    },
  );
});
