// One way to open the database: postgres.js when DATABASE_URL is set (the distributed deployment), embedded
// PGlite otherwise. Both give the same drizzle API and the same raw SQL executor, and take the same migrations.
// One connection pool per process: the raw executor runs its statements through drizzle's connection, so a
// drizzle write and a queue statement can share one transaction (Database.transaction).
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { type SQL, sql as sqlTag } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import * as schema from "./schema/index.ts";

export type Schema = typeof schema;
/** The drizzle database, whichever driver is underneath. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export type Row = Record<string, unknown>;

/**
 * Plain SQL with `$1, $2, …` parameters, the same on both drivers: timestamptz columns come back as Date,
 * int8 as number (exact up to 2^53), json/jsonb parsed; a json/jsonb parameter may be an object or JSON text.
 */
export interface SqlExecutor {
  query<T extends Row = Row>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<R>(fn: (tx: SqlExecutor) => Promise<R>): Promise<R>;
}

export interface Sql extends SqlExecutor {
  /** Subscribes to NOTIFY on `channel`; the returned function unsubscribes. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  notify(channel: string, payload: string): Promise<void>;
}

/** One transaction seen both ways: drizzle for the tables' own modules, raw SQL for the queue. */
export interface Tx {
  db: Db;
  sql: SqlExecutor;
}

type Driver = "postgres" | "pglite";

export interface Database {
  driver: Driver;
  db: Db;
  sql: Sql;
  /** Runs `fn` in one transaction on both APIs: committed when it resolves, rolled back when it throws. */
  transaction<R>(fn: (tx: Tx) => Promise<R>): Promise<R>;
  /** The embedded instance, when driver is pglite (e.g. to dump its data folder). */
  pglite?: PGlite;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgres:// URL; absent: PGlite. */
  databaseUrl?: string | undefined;
  /** PGlite keeps its files in `<dataDir>/pglite`. */
  dataDir?: string;
  /** PGlite in memory (tests); ignored with databaseUrl. */
  inMemory?: boolean;
  /** postgres.js pool size (default 10). */
  maxConnections?: number;
  /** In-memory PGlite starting from this data folder dump (`dumpDataDir()`), e.g. an already migrated one. */
  pgliteDump?: Blob;
}

export const MIGRATIONS_FOLDER = resolve(fileURLToPath(new URL(".", import.meta.url)), "migrations");

export async function openDatabase(opts: OpenDatabaseOptions): Promise<Database> {
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl, opts.maxConnections ?? 10);
  if (opts.inMemory) return openPglite(new PGlite(opts.pgliteDump ? { loadDataDir: opts.pgliteDump } : {}));
  if (!opts.dataDir) throw new Error("openDatabase needs databaseUrl, dataDir or inMemory");
  const dir = join(opts.dataDir, "pglite");
  mkdirSync(dir, { recursive: true });
  return openPglite(new PGlite(dir));
}

/** Applies every migration not applied yet (drizzle's journal in `drizzle.__drizzle_migrations`). */
export async function migrate(database: Database): Promise<void> {
  if (database.driver === "postgres") {
    // Several API instances may start at once: a session advisory lock makes them migrate one after another.
    await database.sql.transaction(async (tx) => {
      await tx.query("select pg_advisory_xact_lock(7214501)");
      await migratePostgres(database.db as Parameters<typeof migratePostgres>[0], {
        migrationsFolder: MIGRATIONS_FOLDER,
      });
    });
    return;
  }
  await migratePglite(database.db as Parameters<typeof migratePglite>[0], {
    migrationsFolder: MIGRATIONS_FOLDER,
  });
}

const int8AsNumber = {
  to: 20,
  from: [20],
  serialize: (x: unknown) => String(x),
  parse: (x: string) => {
    const n = Number(x);
    return Number.isSafeInteger(n) ? n : BigInt(x);
  },
};

const jsonParsed = {
  to: 3802,
  from: [114, 3802],
  serialize: JSON.stringify,
  parse: (x: string) => JSON.parse(x),
};

/**
 * A parameter as both drivers take it under drizzle (which hands dates and JSON to the driver as text): a Date
 * as ISO text, a plain object as JSON text (so a json/jsonb parameter may be an object or JSON text). Arrays
 * stay arrays: both drivers send them as Postgres arrays (`= any($1::text[])`).
 */
function driverValue(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Uint8Array))
    return JSON.stringify(v);
  return v;
}

/** `text` with `$1 … $n` as a drizzle statement, so raw SQL runs on drizzle's connection or transaction. */
function statement(text: string, params: readonly unknown[]): SQL {
  const chunks: SQL[] = [];
  let last = 0;
  for (const m of text.matchAll(/\$(\d+)/g)) {
    chunks.push(sqlTag.raw(text.slice(last, m.index)));
    chunks.push(sqlTag`${sqlTag.param(driverValue(params[Number(m[1]) - 1]))}`);
    last = m.index + m[0].length;
  }
  chunks.push(sqlTag.raw(text.slice(last)));
  return sqlTag.join(chunks);
}

const TIMESTAMP_TYPES = new Set([1114, 1184]);

interface Column {
  name: string;
  type: number;
}

/** Rows of a drizzle `execute` result, with timestamps as Date (drizzle has the drivers leave them as text). */
function rowsOf<T>(driver: Driver, result: unknown): T[] {
  let rows: Row[];
  let columns: Column[];
  if (driver === "postgres") {
    const list = result as Row[] & { columns?: { name: string; type: number }[] };
    rows = [...list];
    columns = list.columns ?? [];
  } else {
    const res = result as { rows: Row[]; fields?: { name: string; dataTypeID: number }[] };
    rows = res.rows;
    columns = (res.fields ?? []).map((f) => ({ name: f.name, type: f.dataTypeID }));
  }
  const dates = columns.filter((c) => TIMESTAMP_TYPES.has(c.type));
  if (dates.length > 0) {
    for (const row of rows) {
      for (const c of dates) {
        const v = row[c.name];
        if (typeof v === "string") row[c.name] = new Date(c.type === 1114 ? `${v}Z` : v);
      }
    }
  }
  return rows as T[];
}

/** Raw SQL on a drizzle database or transaction; nested transactions become savepoints (drizzle's). */
function executorOn(driver: Driver, db: Db): SqlExecutor {
  return {
    async query<T extends Row>(text: string, params: readonly unknown[] = []) {
      return rowsOf<T>(driver, await db.execute(statement(text, params)));
    },
    transaction<R>(fn: (tx: SqlExecutor) => Promise<R>) {
      return db.transaction((tx) => fn(executorOn(driver, tx as unknown as Db)));
    },
  };
}

function database(
  driver: Driver,
  db: Db,
  extra: Pick<Sql, "listen"> & Pick<Database, "close" | "pglite">,
): Database {
  const executor = executorOn(driver, db);
  return {
    driver,
    db,
    sql: {
      ...executor,
      listen: extra.listen,
      async notify(channel, payload) {
        await executor.query("select pg_notify($1, $2)", [channel, payload]);
      },
    },
    transaction(fn) {
      return db.transaction((tx) =>
        fn({ db: tx as unknown as Db, sql: executorOn(driver, tx as unknown as Db) }),
      );
    },
    close: extra.close,
    ...(extra.pglite ? { pglite: extra.pglite } : {}),
  };
}

function openPostgres(url: string, max: number): Database {
  const client = postgres(url, { max, onnotice: () => {}, types: { int8AsNumber, jsonParsed } });
  const db = drizzlePostgres(client, { schema }) as unknown as Db;
  return database("postgres", db, {
    async listen(channel, onPayload) {
      const sub = await client.listen(channel, onPayload);
      return () => sub.unlisten();
    },
    close: () => client.end({ timeout: 5 }),
  });
}

function openPglite(pg: PGlite): Database {
  const db = drizzlePglite(pg, { schema }) as unknown as Db;
  return database("pglite", db, {
    listen: (channel, onPayload) => pg.listen(channel, onPayload),
    async close() {
      if (!pg.closed) await pg.close();
    },
    pglite: pg,
  });
}
