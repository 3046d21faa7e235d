// A migrated database for a test: PGlite in memory by default; with TEST_DATABASE_URL, a fresh database of its
// own on that server (so suites running side by side never see each other's rows). close() drops it.
import { createHash } from "node:crypto";
import { readdir, readFile, rename, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Database, MIGRATIONS_FOLDER, migrate, openDatabase } from "../../db/client.ts";
import { randomToken } from "../../db/ids.ts";
import { createTestDatabase, testDatabaseUrl } from "./postgres.ts";

export interface TestDb extends Database {
  /** The postgres:// URL when on a real server (for a second client, e.g. a worker process). */
  url: string | undefined;
}

async function migrationsHash(): Promise<string> {
  const hash = createHash("sha256");
  const walk = async (dir: string): Promise<void> => {
    for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else hash.update(e.name).update(await readFile(p));
    }
  };
  await walk(MIGRATIONS_FOLDER);
  return hash.digest("hex").slice(0, 16);
}

let template: Promise<Blob> | undefined;

/**
 * A dump of a freshly migrated PGlite, cached in the temp folder per set of migrations: starting from it skips
 * initdb and the migrations, seconds per test database on a busy machine.
 */
function migratedTemplate(): Promise<Blob> {
  template ??= (async () => {
    const path = join(tmpdir(), `grades-pglite-template-${await migrationsHash()}.tar.gz`);
    try {
      return new Blob([await readFile(path)]);
    } catch {
      const database = await openDatabase({ inMemory: true });
      await migrate(database);
      const dump = await database.pglite!.dumpDataDir("gzip");
      await database.close();
      // Written beside and renamed, so a parallel suite never reads half a file.
      const temp = `${path}.${randomToken(8)}`;
      await writeFile(temp, Buffer.from(await dump.arrayBuffer()));
      await rename(temp, path);
      return dump;
    }
  })();
  return template;
}

export async function openTestDatabase(): Promise<TestDb> {
  if (!testDatabaseUrl()) {
    const database = await openDatabase({ inMemory: true, pgliteDump: await migratedTemplate() });
    // Applies nothing when the template is current; kept so a stale template can never hide a migration.
    await migrate(database);
    return { ...database, url: undefined };
  }
  const fresh = await createTestDatabase();
  const database = await openDatabase({ databaseUrl: fresh.url, maxConnections: 5 });
  await migrate(database);
  return {
    ...database,
    url: fresh.url,
    async close() {
      await database.close();
      await fresh.drop();
    },
  };
}
