import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../db/client.ts";
import { findKeyOwner } from "../../db/keys.ts";
import { createTestDatabase, testDatabaseUrl } from "../support/postgres.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

describe("npx grades keys create", () => {
  it("prints a new key that authenticates as the named tenant", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "grades-keys-cli-"));
    const pg = testDatabaseUrl() ? await createTestDatabase() : undefined;
    try {
      const env = { ...process.env, GRADES_DATA_DIR: dataDir, ...(pg ? { DATABASE_URL: pg.url } : {}) };
      const { stdout, stderr } = await promisify(execFile)(
        process.execPath,
        ["bin/grades.js", "keys", "create", "--tenant", "acme"],
        { cwd: ROOT, env },
      );
      const key = stdout.trim();
      expect(key).toMatch(/^sk-grades-[A-Za-z0-9]{40}$/);
      expect(stderr).toContain("tenant 'acme'");
      const db = await openDatabase({ databaseUrl: pg?.url, dataDir });
      try {
        expect((await findKeyOwner(db.db, key))?.tenantName).toBe("acme");
      } finally {
        await db.close();
      }
    } finally {
      await pg?.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
