import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertFile } from "../../db/files.ts";
import { createApiKey, ensureTenant, findKeyOwner } from "../../db/keys.ts";
import { rowMapper } from "../../db/rows.ts";
import { files } from "../../db/schema/files.ts";
import { openTestDatabase, type TestDb } from "../support/db.ts";

describe(`database client (${process.env.TEST_DATABASE_URL ? "postgres" : "pglite"})`, () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(async () => db.close());

  it("applies the migrations: every table exists", async () => {
    const rows = await db.sql.query<{ table_name: string }>(
      "select table_name from information_schema.tables where table_schema = 'public' order by table_name",
    );
    expect(rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(["api_keys", "files", "models", "tenants", "upload_parts", "uploads"]),
    );
  });

  it("runs raw SQL with parameters and returns Date and number values", async () => {
    const [row] = await db.sql.query<{ n: number; t: Date; j: { a: number } }>(
      "select $1::int8 as n, now() as t, $2::jsonb as j",
      [42, JSON.stringify({ a: 1 })],
    );
    expect(row!.n).toBe(42);
    expect(row!.t).toBeInstanceOf(Date);
    expect(row!.j).toEqual({ a: 1 });
  });

  it("commits a transaction that resolves and rolls back one that throws", async () => {
    await db.sql.transaction(async (tx) => {
      await tx.query("insert into tenants (id, name) values ($1, $2)", ["org-tx1", "tx-committed"]);
    });
    await expect(
      db.sql.transaction(async (tx) => {
        await tx.query("insert into tenants (id, name) values ($1, $2)", ["org-tx2", "tx-rolled-back"]);
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    const names = (
      await db.sql.query<{ name: string }>("select name from tenants where name like 'tx-%'")
    ).map((r) => r.name);
    expect(names).toEqual(["tx-committed"]);
  });

  it("rolls back a nested transaction alone", async () => {
    await db.sql.transaction(async (tx) => {
      await tx.query("insert into tenants (id, name) values ($1, $2)", ["org-n1", "nested-outer"]);
      await tx
        .transaction(async (inner) => {
          await inner.query("insert into tenants (id, name) values ($1, $2)", ["org-n2", "nested-inner"]);
          throw new Error("inner");
        })
        .catch(() => undefined);
    });
    const names = (
      await db.sql.query<{ name: string }>("select name from tenants where name like 'nested-%'")
    ).map((r) => r.name);
    expect(names).toEqual(["nested-outer"]);
  });

  it("runs a drizzle write and a raw queue statement in one transaction: both commit or neither does", async () => {
    const insertBoth = (name: string) =>
      db.transaction(async (tx) => {
        await ensureTenant(tx.db, name);
        await tx.sql.query("update tenants set name = name || '-renamed' where name = $1", [name]);
      });
    await insertBoth("shared-tx-a");
    await expect(
      db.transaction(async (tx) => {
        await ensureTenant(tx.db, "shared-tx-b");
        await tx.sql.query("update tenants set name = name || '-renamed' where name = $1", ["shared-tx-b"]);
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    const names = (
      await db.sql.query<{ name: string }>(
        "select name from tenants where name like 'shared-tx-%' order by name",
      )
    ).map((r) => r.name);
    // The raw statement saw the drizzle insert (same transaction), and the rollback took both back.
    expect(names).toEqual(["shared-tx-a-renamed"]);
  });

  it("maps a raw SQL row to exactly the row drizzle reads (dates, bigint, JSON), by the schema's columns", async () => {
    const tenant = await ensureTenant(db.db, "row-types");
    const stored = await insertFile(db.db, {
      id: "file-rowtypes",
      tenantId: tenant.id,
      filename: "a.jsonl",
      purpose: "fine-tune",
      bytes: 2 ** 40,
      storageKey: "files/x/file-rowtypes",
      metadata: { team: "a", n: 1 },
      expiresAt: new Date("2030-01-02T03:04:05.678Z"),
    });
    const [raw] = await db.sql.query("select * from files where id = $1", ["file-rowtypes"]);
    const mapped = rowMapper(files)(raw!);
    expect(mapped).toEqual(stored);
    expect(mapped.bytes).toBe(2 ** 40);
    expect(mapped.expiresAt).toEqual(new Date("2030-01-02T03:04:05.678Z"));
    expect(mapped.metadata).toEqual({ team: "a", n: 1 });
  });

  it("delivers NOTIFY to a listener", async () => {
    const got: string[] = [];
    const unlisten = await db.sql.listen("grades_test_channel", (p) => got.push(p));
    await db.sql.notify("grades_test_channel", "hello");
    for (let i = 0; i < 50 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await unlisten();
    expect(got).toEqual(["hello"]);
  });

  it("finds a key's tenant by its hash, and nothing for an unknown key", async () => {
    const created = await createApiKey(db.db, "client-test");
    expect(await findKeyOwner(db.db, created.key)).toEqual({
      tenantId: created.tenant.id,
      tenantName: "client-test",
      keyId: created.id,
    });
    expect(await findKeyOwner(db.db, `${created.key}x`)).toBeUndefined();
    const seeded = await createApiKey(db.db, "client-test", { key: "fixed-key-123" });
    const again = await createApiKey(db.db, "client-test", { key: "fixed-key-123" });
    expect(again.id).toBe(seeded.id);
  });
});
