// /v1/webhook_endpoints through app.request(): create/list/get/update/delete, the secret shown once and
// stored encrypted, rotation, bad input as a 400 naming the field, SSRF targets refused, tenant isolation.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson } from "../e2e/helpers.ts";
import { createTestApp, type TestApp } from "../support/app.ts";

let t: TestApp;
let strict: TestApp;

interface Endpoint {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  status: string;
  secret?: string;
  previous_secret_expires_at: number | null;
}
interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

beforeAll(async () => {
  // `t` allows local targets (as development does); `strict` has the production default.
  t = await createTestApp({ env: { GRADES_WEBHOOK_ALLOW_PRIVATE_TARGETS: "true" } });
  strict = await createTestApp({ db: t.db });
});
afterAll(async () => {
  await strict?.close();
  await t?.close();
});

async function create(app: TestApp, body: unknown): Promise<Response> {
  return postJson(app, "/v1/webhook_endpoints", body);
}

describe("webhook endpoints", () => {
  it("creates an endpoint whose secret is shown once and stored only encrypted", async () => {
    const res = await create(t, {
      url: "http://127.0.0.1:9/hook",
      events: ["fine_tuning.job.succeeded"],
      description: "ci",
    });
    expect(res.status).toBe(200);
    const ep = (await res.json()) as Endpoint;
    expect(ep).toMatchObject({
      object: "webhook_endpoint",
      url: "http://127.0.0.1:9/hook",
      events: ["fine_tuning.job.succeeded"],
      description: "ci",
      enabled: true,
      status: "enabled",
    });
    expect(ep.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(ep.secret!.slice(6), "base64")).toHaveLength(24);

    const got = (await (await t.request(`/v1/webhook_endpoints/${ep.id}`)).json()) as Endpoint;
    expect(got.id).toBe(ep.id);
    expect(got.secret).toBeUndefined();

    const [row] = await t.db.sql.query<{ secret_ciphertext: string }>(
      "select secret_ciphertext from webhook_endpoints where id = $1",
      [ep.id],
    );
    expect(row!.secret_ciphertext).not.toContain(ep.secret!.slice(6));
    expect(row!.secret_ciphertext).toMatch(/^v1\./);
  });

  it("subscribes to every event type when events is left out or is ['*']", async () => {
    const a = (await (await create(t, { url: "http://127.0.0.1:9/a" })).json()) as Endpoint;
    const b = (await (await create(t, { url: "http://127.0.0.1:9/b", events: ["*"] })).json()) as Endpoint;
    expect(a.events).toEqual(["*"]);
    expect(b.events).toEqual(["*"]);
  });

  it("lists, updates and deletes endpoints, with cursors", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push(((await (await create(t, { url: `http://127.0.0.1:9/l${i}` })).json()) as Endpoint).id);
    const page = (await (await t.request("/v1/webhook_endpoints?limit=2")).json()) as {
      data: Endpoint[];
      has_more: boolean;
      last_id: string;
    };
    expect(page.data.map((e) => e.id)).toEqual([ids[2], ids[1]]);
    expect(page.has_more).toBe(true);
    const next = (await (await t.request(`/v1/webhook_endpoints?limit=2&after=${page.last_id}`)).json()) as {
      data: Endpoint[];
    };
    expect(next.data[0]!.id).toBe(ids[0]);

    const upd = await postJson(t, `/v1/webhook_endpoints/${ids[0]}`, {
      enabled: false,
      events: ["fine_tuning.job.failed", "fine_tuning.job.early_stopped"],
    });
    expect(upd.status).toBe(200);
    expect(await upd.json()).toMatchObject({
      enabled: false,
      status: "disabled",
      events: ["fine_tuning.job.failed", "fine_tuning.job.early_stopped"],
      url: "http://127.0.0.1:9/l0",
    });

    const del = await t.request(`/v1/webhook_endpoints/${ids[0]}`, { method: "DELETE" });
    expect(await del.json()).toEqual({ id: ids[0], object: "webhook_endpoint", deleted: true });
    expect((await t.request(`/v1/webhook_endpoints/${ids[0]}`)).status).toBe(404);
  });

  it("rotates the secret, keeping the old one for the overlap", async () => {
    const ep = (await (await create(t, { url: "http://127.0.0.1:9/r" })).json()) as Endpoint;
    const res = await postJson(t, `/v1/webhook_endpoints/${ep.id}/rotate_secret`, { overlap_seconds: 600 });
    expect(res.status).toBe(200);
    const rotated = (await res.json()) as Endpoint;
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(ep.secret);
    const now = Date.now() / 1000;
    expect(rotated.previous_secret_expires_at).toBeGreaterThan(now + 590);
    expect(rotated.previous_secret_expires_at).toBeLessThan(now + 610);
    // Without a body: the configured default overlap (24 h).
    const again = (await (
      await t.request(`/v1/webhook_endpoints/${ep.id}/rotate_secret`, { method: "POST" })
    ).json()) as Endpoint;
    expect(again.previous_secret_expires_at).toBeGreaterThan(now + 24 * 3600 - 10);
  });

  it("answers another tenant's endpoint with 404 on every route", async () => {
    const ep = (await (await create(t, { url: "http://127.0.0.1:9/mine" })).json()) as Endpoint;
    const other = await t.addTenant("webhooks-other");
    const auth = { authorization: `Bearer ${other.apiKey}` };
    const routes: [string, string][] = [
      ["GET", ""],
      ["POST", ""],
      ["DELETE", ""],
      ["POST", "/rotate_secret"],
      ["GET", "/deliveries"],
      ["POST", "/test"],
      ["POST", "/deliveries/whdel_x/redeliver"],
    ];
    for (const [method, suffix] of routes) {
      const res = await t.request(`/v1/webhook_endpoints/${ep.id}${suffix}`, {
        method,
        headers: { ...auth, "content-type": "application/json" },
        ...(method === "POST" ? { body: "{}" } : {}),
      });
      expect([method, suffix, res.status]).toEqual([method, suffix, 404]);
      const body = (await res.json()) as ErrorBody;
      expect(body.error.code).toBe("not_found");
    }
    const list = (await (await t.request("/v1/webhook_endpoints", { headers: auth })).json()) as {
      data: unknown[];
    };
    expect(list.data).toEqual([]);
    // Still there for its owner.
    expect((await t.request(`/v1/webhook_endpoints/${ep.id}`)).status).toBe(200);
  });
});

describe("bad input is a 400 naming the field", () => {
  const cases: [string, unknown, string][] = [
    ["a URL that is not a URL", { url: "not a url" }, "url"],
    ["a missing URL", { events: ["*"] }, "url"],
    [
      "an unknown event type",
      { url: "http://127.0.0.1:9/x", events: ["fine_tuning.job.exploded"] },
      "events.0",
    ],
    ["an empty event list", { url: "http://127.0.0.1:9/x", events: [] }, "events"],
    ["an unknown field", { url: "http://127.0.0.1:9/x", colour: "blue" }, "colour"],
    ["a wrong type", { url: "http://127.0.0.1:9/x", enabled: "yes" }, "enabled"],
  ];
  for (const [what, body, param] of cases) {
    it(what, async () => {
      const res = await create(t, body);
      expect(res.status).toBe(400);
      const err = (await res.json()) as ErrorBody;
      expect(err.error.type).toBe("invalid_request_error");
      expect(err.error.param).toBe(param);
      expect(err.error.message).toContain(param === "url" && what !== "a missing URL" ? "url" : param);
    });
  }

  it("on update and rotate too", async () => {
    const ep = (await (await create(t, { url: "http://127.0.0.1:9/u" })).json()) as Endpoint;
    const bad = await postJson(t, `/v1/webhook_endpoints/${ep.id}`, { secret: "mine" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ErrorBody).error.param).toBe("secret");
    const rot = await postJson(t, `/v1/webhook_endpoints/${ep.id}/rotate_secret`, { overlap_seconds: -1 });
    expect(rot.status).toBe(400);
    expect(((await rot.json()) as ErrorBody).error.param).toBe("overlap_seconds");
  });
});

describe("SSRF: targets that are not public are refused at creation", () => {
  const refused = [
    "https://127.0.0.1/hook",
    "https://localhost/hook",
    "https://10.1.2.3/hook",
    "https://192.168.0.10/hook",
    "https://172.16.5.4/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://100.100.100.200/",
    "https://[::1]/hook",
    "https://[fd00:ec2::254]/",
    "https://[::ffff:127.0.0.1]/hook",
    "https://0.0.0.0/hook",
    "http://93.184.215.14/hook",
    "https://user:pw@93.184.215.14/hook",
  ];
  for (const url of refused) {
    it(url, async () => {
      const res = await create(strict, { url });
      expect(res.status).toBe(400);
      const err = (await res.json()) as ErrorBody;
      expect(err.error).toMatchObject({ param: "url", code: "invalid_url" });
    });
  }

  it("accepts a public https address, and refuses moving it to a private one", async () => {
    const res = await create(strict, { url: "https://93.184.215.14/hook" });
    expect(res.status).toBe(200);
    const ep = (await res.json()) as Endpoint;
    const moved = await postJson(strict, `/v1/webhook_endpoints/${ep.id}`, { url: "https://127.0.0.1/" });
    expect(moved.status).toBe(400);
    expect(((await moved.json()) as ErrorBody).error.param).toBe("url");
  });
});
