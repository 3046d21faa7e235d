import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../db/client.ts";
import { createTestDatabase, testDatabaseUrl } from "../support/postgres.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const run = promisify(execFile);

describe("npm run migrate", () => {
  it("applies every migration once, and a second run changes nothing", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "grades-migrate-"));
    const pg = testDatabaseUrl() ? await createTestDatabase() : undefined;
    try {
      const env = { ...process.env, GRADES_DATA_DIR: dataDir, ...(pg ? { DATABASE_URL: pg.url } : {}) };
      const args = ["--import", "tsx", "infra/migrate.ts"];
      const first = await run(process.execPath, args, { cwd: ROOT, env });
      expect(first.stdout).toContain("migrations applied");
      await run(process.execPath, args, { cwd: ROOT, env });
      const db = await openDatabase({ databaseUrl: pg?.url, dataDir });
      try {
        const applied = await db.sql.query<{ n: number }>(
          "select count(*)::int as n from drizzle.__drizzle_migrations",
        );
        const journal = (await import("../../db/migrations/meta/_journal.json", { with: { type: "json" } }))
          .default;
        expect(applied[0]!.n).toBe(journal.entries.length);
        const tables = await db.sql.query<{ t: string }>(
          "select table_name as t from information_schema.tables where table_schema = 'public'",
        );
        expect(tables.map((r) => r.t)).toEqual(
          expect.arrayContaining(["tenants", "api_keys", "files", "models", "uploads"]),
        );
      } finally {
        await db.close();
      }
    } finally {
      await pg?.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
