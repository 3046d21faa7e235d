// A migrated database for a test: PGlite in memory by default; with TEST_DATABASE_URL, a fresh database of its
// own on that server (so suites running side by side never see each other's rows). close() drops it.
import { type Database, migrate, openDatabase } from "../../db/client.ts";
import { createTestDatabase, testDatabaseUrl } from "./postgres.ts";

export interface TestDb extends Database {
  /** The postgres:// URL when on a real server (for a second client, e.g. a worker process). */
  url: string | undefined;
}

export async function openTestDatabase(): Promise<TestDb> {
  if (!testDatabaseUrl()) {
    const database = await openDatabase({ inMemory: true });
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
