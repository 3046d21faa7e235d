import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey, findKeyOwner } from "../../db/keys.ts";
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
