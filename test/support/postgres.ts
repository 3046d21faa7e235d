// A fresh database on the server of TEST_DATABASE_URL, for suites that need isolation from the others
// (the CI database is shared by every suite of the run). Drop it when done.
import postgres from "postgres";
import { randomToken } from "../../db/ids.ts";

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

export function testDatabaseUrl(): string | undefined {
  return process.env.TEST_DATABASE_URL || undefined;
}

/** Creates an empty database next to TEST_DATABASE_URL's (or `serverUrl`'s); throws when neither is set. */
export async function createTestDatabase(serverUrl = testDatabaseUrl()): Promise<TestDatabase> {
  if (!serverUrl) throw new Error("createTestDatabase needs TEST_DATABASE_URL (or a server URL)");
  const base = new URL(serverUrl);
  const name = `grades_test_${randomToken(10).toLowerCase()}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const a = postgres(serverUrl, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await a.end({ timeout: 5 });
      }
    },
  };
}
