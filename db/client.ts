// One way to open the database: postgres.js when DATABASE_URL is set (the distributed deployment), embedded
// PGlite otherwise. Both give the same drizzle API and the same raw SQL executor, and take the same migrations.
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
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

export interface Database {
  driver: "postgres" | "pglite";
  db: Db;
  sql: Sql;
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

/** As PGlite does: a string given for a json/jsonb parameter is taken as JSON text, anything else is stringified. */
const jsonAsPglite = {
  to: 114,
  from: [114, 3802],
  serialize: (x: unknown) => (typeof x === "string" ? x : JSON.stringify(x)),
  parse: (x: string) => JSON.parse(x),
};

function openPostgres(url: string, max: number): Database {
  const options = { max, onnotice: () => {}, types: { int8AsNumber, jsonAsPglite } } as const;
  // drizzle changes its client's date parsers to return strings; raw SQL gets a client of its own so that
  // timestamps there stay Date objects.
  const drizzleClient = postgres(url, options);
  const rawClient = postgres(url, options);
  const db = drizzlePostgres(drizzleClient, { schema }) as unknown as Db;

  const executor = (client: postgres.Sql | postgres.TransactionSql): SqlExecutor => ({
    async query<T extends Row>(text: string, params: readonly unknown[] = []) {
      return (await client.unsafe(text, params as postgres.ParameterOrJSON<never>[])) as unknown as T[];
    },
    async transaction<R>(fn: (tx: SqlExecutor) => Promise<R>) {
      if ("savepoint" in client) return (await client.savepoint((tx) => fn(executor(tx)))) as R;
      return (await (client as postgres.Sql).begin((tx) => fn(executor(tx)))) as R;
    },
  });

  const sql: Sql = {
    ...executor(rawClient),
    async listen(channel, onPayload) {
      const sub = await rawClient.listen(channel, onPayload);
      return () => sub.unlisten();
    },
    async notify(channel, payload) {
      await rawClient.unsafe("select pg_notify($1, $2)", [channel, payload]);
    },
  };
  return {
    driver: "postgres",
    db,
    sql,
    async close() {
      await Promise.all([drizzleClient.end({ timeout: 5 }), rawClient.end({ timeout: 5 })]);
    },
  };
}

type PgliteTx = Parameters<Parameters<PGlite["transaction"]>[0]>[0];

function openPglite(pg: PGlite): Database {
  const db = drizzlePglite(pg, { schema }) as unknown as Db;
  const executor = (client: PGlite | PgliteTx, nested: boolean): SqlExecutor => ({
    async query<T extends Row>(text: string, params: readonly unknown[] = []) {
      const res = await client.query<T>(text, params as unknown[]);
      return res.rows;
    },
    async transaction<R>(fn: (tx: SqlExecutor) => Promise<R>) {
      if (!nested) return (client as PGlite).transaction((tx) => fn(executor(tx, true)));
      // PGlite has no nested transactions: a savepoint gives the same all-or-nothing inside one.
      const name = `sp_${Math.random().toString(36).slice(2)}`;
      await client.query(`savepoint ${name}`);
      try {
        const out = await fn(executor(client, true));
        await client.query(`release savepoint ${name}`);
        return out;
      } catch (err) {
        await client.query(`rollback to savepoint ${name}`);
        throw err;
      }
    },
  });
  const sql: Sql = {
    ...executor(pg, false),
    async listen(channel, onPayload) {
      return pg.listen(channel, onPayload);
    },
    async notify(channel, payload) {
      await pg.query("select pg_notify($1, $2)", [channel, payload]);
    },
  };
  return {
    driver: "pglite",
    db,
    sql,
    pglite: pg,
    async close() {
      if (!pg.closed) await pg.close();
    },
  };
}
