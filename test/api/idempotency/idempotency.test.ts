// Idempotency-Key on every create, through app.request() on the test database (PGlite, or Postgres with
// TEST_DATABASE_URL): replay, reuse with another request, keys in flight, failures that free the key, expiry,
// tenants, streamed uploads, and the record committing with the created row.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_IDEMPOTENCY_KEY_CHARS } from "../../../api/idempotency/key.ts";
import { IN_FLIGHT_LEASE_SECONDS } from "../../../api/idempotency/middleware.ts";
import { registerFakeBaseModel, uploadDataset } from "../../e2e/helpers.ts";
import { createTestApp, multipart, type TestApp } from "../../support/app.ts";

let t: TestApp;
let model: string;
let trainingFile: string;

beforeAll(async () => {
  t = await createTestApp({ env: { GRADES_WEBHOOK_ALLOW_PRIVATE_TARGETS: "true" } });
  model = `idem-base-${Date.now()}`;
  await registerFakeBaseModel(t, model);
  trainingFile = await uploadDataset(t, '{"text": "one"}\n{"text": "two"}\n');
});
afterAll(async () => t?.close());

let keys = 0;
const newKey = () => `test-key-${Date.now()}-${++keys}`;

function post(path: string, body: unknown, key?: string, apiKey?: string): Promise<Response> {
  return t.request(path, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(key === undefined ? {} : { "idempotency-key": key }),
      ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function countRows(table: string, where = "true", params: unknown[] = []): Promise<number> {
  const [row] = await t.db.sql.query<{ n: number }>(
    `select count(*)::int as n from ${table} where ${where}`,
    params,
  );
  return row!.n;
}

const jobBody = () => ({ model, training_file: trainingFile, max_steps: 3, suffix: "idem" });

async function errorOf(res: Response) {
  return ((await res.json()) as { error: { code: string; param: string | null; message: string } }).error;
}

describe("Idempotency-Key on JSON creates", () => {
  it("answers a retried job create with the first response, byte for byte, and creates one job", async () => {
    const key = newKey();
    const before = await countRows("fine_tuning_jobs");
    const first = await post("/v1/fine_tuning/jobs", jobBody(), key);
    expect(first.status).toBe(200);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const firstText = await first.text();
    const again = await post("/v1/fine_tuning/jobs", jobBody(), key);
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await again.text()).toBe(firstText);
    expect(await countRows("fine_tuning_jobs")).toBe(before + 1);
    // The job's side effects (its events and outbox rows) were not written twice either.
    const id = (JSON.parse(firstText) as { id: string }).id;
    expect(await countRows("fine_tuning_job_events", "job_id = $1", [id])).toBe(2);
  });

  it("treats the same JSON value written another way (key order, spacing) as the same request", async () => {
    const key = newKey();
    const first = await post(
      "/v1/uploads",
      { bytes: 5, filename: "a.txt", mime_type: "text/plain", purpose: "batch" },
      key,
    );
    expect(first.status).toBe(200);
    const reordered = await post(
      "/v1/uploads",
      '{ "purpose": "batch",\n  "mime_type": "text/plain", "filename": "a.txt", "bytes": 5 }',
      key,
    );
    expect(reordered.status).toBe(200);
    expect(reordered.headers.get("idempotent-replayed")).toBe("true");
    expect(((await reordered.json()) as { id: string }).id).toBe(((await first.json()) as { id: string }).id);
  });

  it("refuses the same key with another body, or on another route, with a 422 naming the header", async () => {
    const key = newKey();
    expect((await post("/v1/fine_tuning/jobs", jobBody(), key)).status).toBe(200);
    const before = await countRows("fine_tuning_jobs");

    const otherBody = await post("/v1/fine_tuning/jobs", { ...jobBody(), suffix: "other" }, key);
    expect(otherBody.status).toBe(422);
    const err = await errorOf(otherBody);
    expect(err).toMatchObject({ code: "idempotency_key_reused", param: "Idempotency-Key" });
    expect(err.message).toContain("POST /v1/fine_tuning/jobs");

    const otherRoute = await post("/v1/webhook_endpoints", { url: "http://127.0.0.1:9/h" }, key);
    expect(otherRoute.status).toBe(422);
    expect((await errorOf(otherRoute)).code).toBe("idempotency_key_reused");
    expect(await countRows("fine_tuning_jobs")).toBe(before);
    expect(await countRows("webhook_endpoints", "url = $1", ["http://127.0.0.1:9/h"])).toBe(0);
  });

  it("records nothing for a failed create, so the corrected request may use the key", async () => {
    const key = newKey();
    const before = await countRows("fine_tuning_jobs");
    const bad = await post("/v1/fine_tuning/jobs", { ...jobBody(), training_file: "file-none" }, key);
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).code).toBe("invalid_file");
    expect(await countRows("idempotency_keys", "key = $1", [key])).toBe(0);

    const fixed = await post("/v1/fine_tuning/jobs", jobBody(), key);
    expect(fixed.status).toBe(200);
    const replay = await post("/v1/fine_tuning/jobs", jobBody(), key);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(await countRows("fine_tuning_jobs")).toBe(before + 1);
  });

  it("keeps keys apart per tenant: another tenant's same key creates its own object", async () => {
    const other = await t.addTenant(`idem-other-${Date.now()}`);
    const key = newKey();
    const body = { url: "http://127.0.0.1:9/tenants" };
    const mine = (await (await post("/v1/webhook_endpoints", body, key)).json()) as { id: string };
    const res = await post("/v1/webhook_endpoints", body, key, other.apiKey);
    expect(res.status).toBe(200);
    expect(res.headers.get("idempotent-replayed")).toBeNull();
    const theirs = (await res.json()) as { id: string };
    expect(theirs.id).not.toBe(mine.id);
  });

  it("refuses a key that is empty, too long or not printable ASCII with a 400 naming the header", async () => {
    const before = await countRows("webhook_endpoints");
    for (const key of ["", "x".repeat(MAX_IDEMPOTENCY_KEY_CHARS + 1), "caf\u00e9", "tab\there"]) {
      const res = await post("/v1/webhook_endpoints", { url: "http://127.0.0.1:9/bad-key" }, key);
      expect(res.status, JSON.stringify(key)).toBe(400);
      const err = await errorOf(res);
      expect(err).toMatchObject({ code: "invalid_value", param: "Idempotency-Key" });
      expect(err.message).toContain("'Idempotency-Key' (in header)");
    }
    const longest = await post(
      "/v1/webhook_endpoints",
      { url: "http://127.0.0.1:9/longest-key" },
      "k".repeat(MAX_IDEMPOTENCY_KEY_CHARS),
    );
    expect(longest.status).toBe(200);
    expect(await countRows("webhook_endpoints")).toBe(before + 1);
  });

  it("replays a webhook endpoint's secret, which the record keeps only sealed", async () => {
    const key = newKey();
    const body = { url: "http://127.0.0.1:9/secret" };
    const first = (await (await post("/v1/webhook_endpoints", body, key)).json()) as {
      id: string;
      secret: string;
    };
    const again = await post("/v1/webhook_endpoints", body, key);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(((await again.json()) as { secret: string }).secret).toBe(first.secret);
    const [row] = await t.db.sql.query<{ response_body: string; response_sealed: boolean }>(
      "select response_body, response_sealed from idempotency_keys where key = $1",
      [key],
    );
    expect(row!.response_sealed).toBe(true);
    expect(row!.response_body).not.toContain(first.secret.slice(6));
    expect(row!.response_body).not.toContain(first.id);
  });

  it("makes one object of identical creates sent at once; the others replay it or are told to retry", async () => {
    const key = newKey();
    const body = { url: "http://127.0.0.1:9/race" };
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => post("/v1/webhook_endpoints", body, key)),
    );
    const ids = new Set<string>();
    for (const res of answers) {
      if (res.status === 200) ids.add(((await res.json()) as { id: string }).id);
      else {
        expect(res.status).toBe(409);
        expect(res.headers.get("x-should-retry")).toBe("true");
        expect((await errorOf(res)).code).toBe("idempotency_key_in_use");
      }
    }
    expect(ids.size).toBe(1);
    expect(await countRows("webhook_endpoints", "url = $1", [body.url])).toBe(1);
  });

  it("answers a completed upload's retried completion instead of refusing it as no longer pending", async () => {
    const content = '{"text": "a"}\n{"text": "b"}\n';
    const up = (await (
      await post("/v1/uploads", {
        bytes: content.length,
        filename: "u.jsonl",
        mime_type: "application/jsonl",
        purpose: "fine-tune",
      })
    ).json()) as { id: string };
    const part = (await (
      await t.request(`/v1/uploads/${up.id}/parts`, {
        method: "POST",
        headers: { "idempotency-key": newKey() },
        body: multipart({ field: "data", name: "blob", content }),
      })
    ).json()) as { id: string };
    const key = newKey();
    const done = await post(`/v1/uploads/${up.id}/complete`, { part_ids: [part.id] }, key);
    expect(done.status).toBe(200);
    const doneText = await done.text();
    const files = await countRows("files");
    const retried = await post(`/v1/uploads/${up.id}/complete`, { part_ids: [part.id] }, key);
    expect(retried.status).toBe(200);
    expect(await retried.text()).toBe(doneText);
    expect(await countRows("files")).toBe(files);
    // Without the key, the same retry is the state conflict it always was.
    expect((await post(`/v1/uploads/${up.id}/complete`, { part_ids: [part.id] })).status).toBe(409);
  });
});

describe("Idempotency-Key on streamed uploads", () => {
  const upload = (content: string, key: string | undefined, fields: Record<string, string> = {}) =>
    t.request("/v1/files", {
      method: "POST",
      headers: key === undefined ? {} : { "idempotency-key": key },
      body: multipart({ name: "data.txt", content, type: "text/plain" }, { purpose: "batch", ...fields }),
    });

  it("answers a retried upload with the first file and keeps no second copy of its bytes", async () => {
    const key = newKey();
    const first = await upload("hello idempotency", key);
    expect(first.status).toBe(200);
    const file = (await first.json()) as { id: string };
    const stored = (await t.storage.list(`files/${t.tenantId}/`)).length;
    const again = await upload("hello idempotency", key);
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(((await again.json()) as { id: string }).id).toBe(file.id);
    expect((await t.storage.list(`files/${t.tenantId}/`)).length).toBe(stored);
    expect(await countRows("files", "filename = $1", ["data.txt"])).toBe(1);
  });

  it("refuses the key with other bytes of the same size, or another field, and keeps neither upload", async () => {
    const key = newKey();
    expect((await upload("aaaa", key)).status).toBe(200);
    const stored = (await t.storage.list(`files/${t.tenantId}/`)).length;
    const files = await countRows("files");
    for (const res of [await upload("bbbb", key), await upload("aaaa", key, { purpose: "user_data" })]) {
      expect(res.status).toBe(422);
      expect((await errorOf(res)).code).toBe("idempotency_key_reused");
    }
    expect((await t.storage.list(`files/${t.tenantId}/`)).length).toBe(stored);
    expect(await countRows("files")).toBe(files);
  });

  it("tells a retry that arrives while the first upload is still streaming to retry, then replays", async () => {
    const key = newKey();
    const form = new Response(
      multipart({ name: "slow.txt", content: "x".repeat(4000) }, { purpose: "batch" }),
    );
    const bytes = new Uint8Array(await form.arrayBuffer());
    let finish!: () => void;
    const held = new Promise<void>((r) => {
      finish = r;
    });
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(bytes.slice(0, 1000));
        await held;
        controller.enqueue(bytes.slice(1000));
        controller.close();
      },
    });
    const first = t.request("/v1/files", {
      method: "POST",
      headers: { "idempotency-key": key, "content-type": form.headers.get("content-type")! },
      body,
      duplex: "half",
    } as RequestInit);
    // The first request holds the key once its row exists.
    for (let i = 0; i < 200 && (await countRows("idempotency_keys", "key = $1", [key])) === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const during = await t.request("/v1/files", {
      method: "POST",
      headers: { "idempotency-key": key },
      body: multipart({ name: "slow.txt", content: "x".repeat(4000) }, { purpose: "batch" }),
    });
    expect(during.status).toBe(409);
    expect(during.headers.get("x-should-retry")).toBe("true");
    expect(during.headers.get("retry-after")).toBe("1");
    expect(await errorOf(during)).toMatchObject({ code: "idempotency_key_in_use", param: "Idempotency-Key" });

    finish();
    const done = await first;
    expect(done.status).toBe(200);
    const file = (await done.json()) as { id: string };
    const after = await t.request("/v1/files", {
      method: "POST",
      headers: { "idempotency-key": key },
      body: multipart({ name: "slow.txt", content: "x".repeat(4000) }, { purpose: "batch" }),
    });
    expect(after.headers.get("idempotent-replayed")).toBe("true");
    expect(((await after.json()) as { id: string }).id).toBe(file.id);
  });
});

describe("Idempotency-Key records", () => {
  async function leaveInFlight(key: string, lockedForSeconds: number) {
    // What an API process that died mid-request leaves behind: a held key and no created object.
    await t.db.sql.query(
      `insert into idempotency_keys (tenant_id, key, method, path, request_hash, token, locked_until, expires_at)
       values ($1, $2, 'POST', '/v1/webhook_endpoints', null, 'dead-process',
               now() + make_interval(secs => $3), now() + interval '1 hour')`,
      [t.tenantId, key, lockedForSeconds],
    );
  }

  it("takes over a key whose holder died once its lease ran out, and not before", async () => {
    const held = newKey();
    await leaveInFlight(held, IN_FLIGHT_LEASE_SECONDS);
    const blocked = await post("/v1/webhook_endpoints", { url: "http://127.0.0.1:9/held" }, held);
    expect(blocked.status).toBe(409);

    const abandoned = newKey();
    await leaveInFlight(abandoned, -1);
    const res = await post("/v1/webhook_endpoints", { url: "http://127.0.0.1:9/abandoned" }, abandoned);
    expect(res.status).toBe(200);
    expect(await countRows("webhook_endpoints", "url = $1", ["http://127.0.0.1:9/abandoned"])).toBe(1);
  });

  it("forgets a key after the configured retention time", async () => {
    const short = await createTestApp({
      db: t.db,
      env: { GRADES_IDEMPOTENCY_TTL_SECONDS: "1", GRADES_WEBHOOK_ALLOW_PRIVATE_TARGETS: "true" },
    });
    try {
      const key = newKey();
      const send = () =>
        short.request("/v1/webhook_endpoints", {
          method: "POST",
          headers: { "content-type": "application/json", "idempotency-key": key },
          body: JSON.stringify({ url: "http://127.0.0.1:9/ttl" }),
        });
      const created = await send();
      expect(created.status).toBe(200);
      const first = (await created.json()) as { id: string };
      const soon = await send();
      expect(soon.headers.get("idempotent-replayed")).toBe("true");
      await new Promise((r) => setTimeout(r, 1_200));
      const later = await send();
      expect(later.status).toBe(200);
      expect(later.headers.get("idempotent-replayed")).toBeNull();
      expect(((await later.json()) as { id: string }).id).not.toBe(first.id);
    } finally {
      await short.close();
    }
  });

  it("commits the record with the created row: a failure of either leaves neither", async () => {
    const failing = async (table: string, fn: () => Promise<void>) => {
      await t.db.sql.query(
        `create or replace function idem_test_fail() returns trigger language plpgsql as
         $$ begin raise exception 'injected failure'; end $$`,
      );
      await t.db.sql.query(
        `create trigger idem_test_fail before insert or update on ${table}
         for each row execute function idem_test_fail()`,
      );
      try {
        await fn();
      } finally {
        await t.db.sql.query(`drop trigger idem_test_fail on ${table}`);
      }
    };
    const body = { url: "http://127.0.0.1:9/atomic" };

    // The record's completion fails after the endpoint was inserted: the endpoint is rolled back.
    const key = newKey();
    const claimed = newKey();
    await failing("webhook_endpoints", async () => {
      const res = await post("/v1/webhook_endpoints", body, key);
      expect(res.status).toBe(500);
    });
    expect(await countRows("idempotency_keys", "key = $1", [key])).toBe(0);
    await t.db.sql.query(
      `create or replace function idem_test_fail_completion() returns trigger language plpgsql as
       $$ begin if new.response_status is not null then raise exception 'injected failure'; end if;
       return new; end $$`,
    );
    await t.db.sql.query(
      `create trigger idem_test_fail_completion before update on idempotency_keys
       for each row execute function idem_test_fail_completion()`,
    );
    try {
      const res = await post("/v1/webhook_endpoints", body, claimed);
      expect(res.status).toBe(500);
    } finally {
      await t.db.sql.query("drop trigger idem_test_fail_completion on idempotency_keys");
    }
    expect(await countRows("webhook_endpoints", "url = $1", [body.url])).toBe(0);
    expect(await countRows("idempotency_keys", "key = $1", [claimed])).toBe(0);

    // Both keys are free again: the retry creates the endpoint once.
    for (const k of [key, claimed]) {
      expect((await post("/v1/webhook_endpoints", body, k)).status).toBe(200);
      expect((await post("/v1/webhook_endpoints", body, k)).headers.get("idempotent-replayed")).toBe("true");
    }
    expect(await countRows("webhook_endpoints", "url = $1", [body.url])).toBe(2);
  });
});
