// The Lambda function's staged folder (infra/lambda/stage.ts, `npm run build:lambda`), loaded as Lambda loads it:
// plain node in that folder imports dist/infra/lambda.js, whose handler answers API Gateway events on real
// Postgres and the S3 protocol (s3rver). The install is the imitation of `npm ci --omit=dev --workspaces=false`
// (links into this checkout's node_modules, exactly the lock's production packages), so the suite runs offline;
// the arguments the script passes to the real `npm ci` are checked against what the lock needs.
import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate, openDatabase } from "../../../db/client.ts";
import { createApiKey } from "../../../db/keys.ts";
import { ENTRY, NPM_CI_ARGS, stageLambda } from "../../../infra/lambda/stage.ts";
import { ensureBuilt } from "../../support/build.ts";
import { httpEvent, lambdaContext } from "../../support/lambda-event.ts";
import { createTestDatabase, type TestDatabase, testDatabaseUrl } from "../../support/postgres.ts";
import { linkProductionPackages, lockPackages } from "../../support/production-install.ts";
import { startTestS3, type TestS3 } from "../../support/s3.ts";

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

// Each event's response, from a plain node process in the staged folder: status, content type, body (JSON bodies
// parsed, others by length).
const INVOKE = `
  const { handler } = await import("./${ENTRY}");
  const context = { ...JSON.parse(process.env.LAMBDA_CONTEXT), getRemainingTimeInMillis: () => 30000 };
  const out = [];
  for (const event of JSON.parse(process.env.LAMBDA_EVENTS)) {
    const res = await handler(event, context);
    const type = res.headers?.["content-type"] ?? "";
    out.push({ status: res.statusCode, type, body: type.startsWith("application/json") ? JSON.parse(res.body) : res.body.length });
  }
  process.stdout.write(JSON.stringify(out), () => process.exit(0));`;

let out: string;
let staged: string[];

beforeAll(async () => {
  await ensureBuilt();
  out = await mkdtemp(join(tmpdir(), "grades-lambda-stage-"));
  staged = await stageLambda({ out, install: linkProductionPackages });
}, 300_000);
afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

describe("the staged Lambda folder", () => {
  it("holds the handler's modules and the docs bundle, nothing only other roles use", () => {
    const dist = filesUnder(join(out, "dist")).map((f) => relative(out, f));
    expect(dist.sort()).toEqual([...staged].sort());
    expect(dist).toContain(ENTRY);
    expect(dist).toContain("dist/api/routes/fine-tuning/create.js");
    expect(dist).toContain("dist/api/assets/api-reference.js");
    // The other entry points, the migrations and the built-in model's weights stay out; so do source maps.
    for (const absent of ["dist/infra/api.js", "dist/infra/worker.js", "dist/cli/main.js"])
      expect(dist, absent).not.toContain(absent);
    expect(
      dist.filter((f) => /\.map$|^dist\/db\/migrations\/|^dist\/models\/tiny-english-2m\//.test(f)),
    ).toEqual([]);
    expect(existsSync(join(out, "package.json"))).toBe(true);
    expect(existsSync(join(out, "package-lock.json"))).toBe(true);
  });

  it("installs with npm ci for production, without the workspace, and loses nothing by skipping scripts", () => {
    expect(NPM_CI_ARGS.slice(0, 1)).toEqual(["ci"]);
    expect(NPM_CI_ARGS).toEqual(
      expect.arrayContaining(["--omit=dev", "--workspaces=false", "--ignore-scripts"]),
    );
    // --ignore-scripts is safe while no production package has an install script, and staging on any machine
    // gives Lambda's files while none is built for one platform.
    const production = Object.entries(lockPackages()).filter(
      ([path, e]) => path.startsWith("node_modules/") && !e.dev,
    );
    expect(production.length).toBeGreaterThan(100);
    const special = production.filter(([, e]) => e.hasInstallScript || e.os || e.cpu).map(([path]) => path);
    expect(special).toEqual([]);
    expect(
      Object.entries(lockPackages()).filter(([, e]) => e.hasInstallScript && e.dev).length,
      "the check can fail: dev packages do have install scripts",
    ).toBeGreaterThan(0);
  });

  describe.skipIf(!testDatabaseUrl())("run with plain node in the folder", () => {
    let database: TestDatabase;
    let s3: TestS3;
    let key: string;

    beforeAll(async () => {
      database = await createTestDatabase();
      const db = await openDatabase({ databaseUrl: database.url });
      await migrate(db);
      key = (await createApiKey(db.db, "lambda-stage-tenant")).key;
      await db.close();
      s3 = await startTestS3("grades-lambda-stage");
    });
    afterAll(async () => {
      await s3?.close();
      await database?.drop();
    });

    it("answers /health, an authenticated list and the docs bundle through the handler", async () => {
      const events = [
        httpEvent("GET", "/health", {}),
        httpEvent("GET", "/v1/files?limit=5", { authorization: `Bearer ${key}` }),
        httpEvent("GET", "/v1/models", {}),
        httpEvent("GET", "/docs/assets/api-reference.js", {}),
      ];
      const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", INVOKE], {
        cwd: out,
        maxBuffer: 16 << 20,
        env: {
          PATH: process.env.PATH,
          NODE_ENV: "production",
          DATABASE_URL: database.url,
          S3_BUCKET: s3.bucket,
          S3_ENDPOINT: s3.endpoint,
          AWS_ACCESS_KEY_ID: "S3RVER",
          AWS_SECRET_ACCESS_KEY: "S3RVER",
          GRADES_DATA_DIR: join(out, "tmp"),
          LOG_LEVEL: "silent",
          LAMBDA_EVENTS: JSON.stringify(events),
          LAMBDA_CONTEXT: JSON.stringify(lambdaContext),
        },
      });
      const [health, files, unauthenticated, docs] = JSON.parse(stdout);
      expect(health).toMatchObject({ status: 200, body: { status: "ok", database: "ok", storage: "ok" } });
      expect(files).toMatchObject({ status: 200, body: { object: "list", data: [], has_more: false } });
      expect(unauthenticated).toMatchObject({ status: 401, body: { error: { code: "missing_api_key" } } });
      expect(docs.status).toBe(200);
      expect(docs.type).toMatch(/^text\/javascript/);
      expect(docs.body).toBeGreaterThan(1_000_000);
    }, 120_000);
  });
});
