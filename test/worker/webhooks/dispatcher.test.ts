// The dispatcher against a real HTTP receiver: jobs moved through the real queue statements write outbox
// rows; the dispatcher fans them out, signs them with standardwebhooks, and retries on an injected, fast
// schedule. Each test has a tenant of its own, so its endpoint sees only its own events.
import OpenAI from "openai";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../../common/logger.ts";
import type { WebhooksConfig } from "../../../common/webhooks-config.ts";
import { type RunningDispatcher, startDispatcher } from "../../../worker/webhooks/index.ts";
import { postJson } from "../../e2e/helpers.ts";
import { createTestApp, type TestApp } from "../../support/app.ts";
import { FAST_WEBHOOKS_ENV, Receiver, runJob, waitFor } from "./support.ts";

let t: TestApp;
let receiver: Receiver;
const running: RunningDispatcher[] = [];
const openai = new OpenAI({ apiKey: "unused", baseURL: "http://127.0.0.1:9/v1" });

interface Tenant {
  tenantId: string;
  apiKey: string;
}
interface Endpoint {
  id: string;
  secret: string;
  status: string;
  enabled: boolean;
  disabled_reason: string | null;
}
interface Attempt {
  delivery_id: string;
  event_id: string;
  event_type: string;
  attempt: number;
  http_status: number | null;
  response_body: string | null;
  error: string | null;
  latency_ms: number;
  delivery_status: string;
}

let tenants = 0;
async function tenant(): Promise<Tenant> {
  return t.addTenant(`webhooks-${++tenants}`);
}

async function endpoint(who: Tenant, url: string, extra: Record<string, unknown> = {}): Promise<Endpoint> {
  const res = await postJson(t, "/v1/webhook_endpoints", { url, ...extra }, who.apiKey);
  const body = (await res.json()) as Endpoint;
  if (res.status !== 200) throw new Error(JSON.stringify(body));
  return body;
}

async function attempts(who: Tenant, endpointId: string): Promise<Attempt[]> {
  const res = await t.request(`/v1/webhook_endpoints/${endpointId}/deliveries?limit=100`, {
    headers: { authorization: `Bearer ${who.apiKey}` },
  });
  return ((await res.json()) as { data: Attempt[] }).data.reverse();
}

async function dispatcher(overrides: Partial<WebhooksConfig> = {}): Promise<RunningDispatcher> {
  const d = await startDispatcher({
    db: t.db,
    logger: silentLogger(),
    config: { ...t.config.webhooks, ...overrides },
  });
  running.push(d);
  return d;
}

async function outboxIds(tenantId: string): Promise<string[]> {
  const rows = await t.db.sql.query<{ id: string }>(
    "select id from webhook_outbox where tenant_id = $1 and type <> 'fine_tuning.job.validating_files' order by created_at, id",
    [tenantId],
  );
  return rows.map((r) => r.id);
}

const headersOf = (r: { headers: Record<string, unknown> }) => ({
  "webhook-id": String(r.headers["webhook-id"]),
  "webhook-timestamp": String(r.headers["webhook-timestamp"]),
  "webhook-signature": String(r.headers["webhook-signature"]),
});

beforeAll(async () => {
  t = await createTestApp({ env: FAST_WEBHOOKS_ENV });
});
// Every test gets a receiver on a port of its own: a delivery an earlier test left scheduled (its retries, an
// event its endpoint had not yet received) is picked up by the next test's dispatcher, and it must not land in
// that test's receiver, where it would shift the answers and the counts.
beforeEach(async () => {
  receiver = new Receiver();
  await receiver.start();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((d) => d.stop()));
  await receiver.stop();
});
afterAll(async () => {
  await t?.close();
});

describe("webhook delivery", () => {
  it("delivers a job's state changes in order, signed so that standardwebhooks and the openai client verify them", async () => {
    const who = await tenant();
    const ep = await endpoint(who, receiver.url);
    await dispatcher();
    const jobId = await runJob(t.db.sql, who.tenantId, "all_frozen");
    await waitFor("four attempts recorded", async () => (await attempts(who, ep.id)).length >= 4);

    const events = await Promise.all(
      receiver.received.map((r) => openai.webhooks.unwrap(r.body, headersOf(r), ep.secret)),
    );
    expect(events.map((e) => e.type)).toEqual([
      "fine_tuning.job.queued",
      "fine_tuning.job.running",
      "fine_tuning.job.early_stopped",
      "fine_tuning.job.succeeded",
    ]);
    expect(receiver.ids()).toEqual(await outboxIds(who.tenantId));
    const done = events[3] as unknown as Record<string, unknown>;
    expect(done).toMatchObject({
      object: "event",
      type: "fine_tuning.job.succeeded",
      data: {
        id: jobId,
        status: "succeeded",
        fine_tuned_model: `ft:demo-tiny:${jobId}`,
        error: null,
        grades: {
          stop_reason: "all_frozen",
          steps_completed: 12,
          total_steps: 40,
          frozen_fraction: 1,
          frozen_components: 8,
          total_components: 8,
        },
      },
    });
    expect(String(done.id)).toMatch(/^evt_/);
    expect(Math.abs(Number(done.created_at) - Date.now() / 1000)).toBeLessThan(60);
    for (const r of receiver.received) {
      expect(new Webhook(ep.secret).verify(r.body, headersOf(r))).toEqual(JSON.parse(r.body));
      expect(r.headers["content-type"]).toBe("application/json");
    }

    const log = await attempts(who, ep.id);
    expect(log).toHaveLength(4);
    for (const a of log)
      expect(a).toMatchObject({
        http_status: 200,
        response_body: "ok",
        error: null,
        attempt: 1,
        delivery_status: "succeeded",
      });
  });

  it("a wrong secret, a changed body or a stale timestamp fails verification", async () => {
    const who = await tenant();
    const ep = await endpoint(who, receiver.url);
    const other = await endpoint(who, "http://127.0.0.1:9/other", { enabled: false });
    await dispatcher();
    const res = await postJson(t, `/v1/webhook_endpoints/${ep.id}/test`, {}, who.apiKey);
    expect(res.status).toBe(200);
    const r = await waitFor("the test event", () => receiver.received[0]);
    expect(JSON.parse(r.body)).toMatchObject({ type: "webhook_endpoint.test", data: { id: ep.id } });
    await expect(openai.webhooks.unwrap(r.body, headersOf(r), ep.secret)).resolves.toBeTruthy();
    await expect(openai.webhooks.unwrap(r.body, headersOf(r), other.secret)).rejects.toThrow(/signature/);
    expect(() => new Webhook(other.secret).verify(r.body, headersOf(r))).toThrow();
    const tampered = r.body.replace("webhook_endpoint.test", "webhook_endpoint.tesT");
    await expect(openai.webhooks.unwrap(tampered, headersOf(r), ep.secret)).rejects.toThrow(/signature/);
    const stale = { ...headersOf(r), "webhook-timestamp": String(Math.floor(Date.now() / 1000) - 3600) };
    await expect(openai.webhooks.unwrap(r.body, stale, ep.secret)).rejects.toThrow(/too old/);
  });

  it("when the receiver answers 500 for a while, every event arrives, its retries keeping the same webhook-id", async () => {
    const who = await tenant();
    const ep = await endpoint(who, receiver.url);
    receiver.answer = (_r, i) => (i < 6 ? { status: 500, body: "try later" } : { status: 204 });
    await dispatcher();
    for (let i = 0; i < 3; i++) await runJob(t.db.sql, who.tenantId);
    const expected = await outboxIds(who.tenantId);
    await waitFor("every event acknowledged", async () => {
      const log = await attempts(who, ep.id);
      return (
        new Set(log.filter((a) => a.http_status === 204).map((a) => a.event_id)).size === expected.length
      );
    });
    const log = await attempts(who, ep.id);
    expect(new Set(receiver.ids())).toEqual(new Set(expected));
    expect(log.filter((a) => a.http_status === 500)).toHaveLength(6);
    for (const a of log.filter((x) => x.http_status === 500)) {
      expect(a).toMatchObject({ response_body: "try later", error: "HTTP 500" });
      // The retry of that delivery carried the same event id, and it was acknowledged.
      expect(
        log.some(
          (b) => b.delivery_id === a.delivery_id && b.event_id === a.event_id && b.http_status === 204,
        ),
      ).toBe(true);
    }
    const [ok] = await t.db.sql.query<{ n: number }>(
      "select count(*)::int as n from webhook_deliveries where endpoint_id = $1 and status = 'succeeded'",
      [ep.id],
    );
    expect(ok!.n).toBe(expected.length);
  });

  it("when the receiver is down and comes back on the same port, every event arrives once acknowledged", async () => {
    const who = await tenant();
    const down = new Receiver();
    await down.start();
    const ep = await endpoint(who, down.url);
    await down.stop();
    await dispatcher();
    await runJob(t.db.sql, who.tenantId);
    await runJob(t.db.sql, who.tenantId);
    const expected = await outboxIds(who.tenantId);
    await waitFor("refused attempts", async () => (await attempts(who, ep.id)).length >= 3);
    expect((await attempts(who, ep.id))[0]!.error).toMatch(/ECONNREFUSED/);
    await down.start();
    await waitFor("every event", () => new Set(down.ids()).size === expected.length);
    expect(new Set(down.ids())).toEqual(new Set(expected));
    await down.stop();
  });

  it("a job's events reach an endpoint in the order of its state changes, also when one needs retries", async () => {
    const who = await tenant();
    await endpoint(who, receiver.url);
    const seen = new Set<string>();
    // Every event's first attempt fails: a later event must still wait for the earlier one's success.
    receiver.answer = (r) => {
      const id = String(r.headers["webhook-id"]);
      if (seen.has(id)) return { status: 200 };
      seen.add(id);
      return { status: 503 };
    };
    await dispatcher({ concurrency: 8 });
    // One after the other: runJob claims the oldest queued job, so two at once could each claim the other's.
    // The dispatcher already runs, so the first job's events are in flight while the second one's are written.
    const jobs = [await runJob(t.db.sql, who.tenantId), await runJob(t.db.sql, who.tenantId)];
    await waitFor("six events twice", () => receiver.received.length >= 12);
    for (const job of jobs) {
      const types = receiver.received
        .map((r) => JSON.parse(r.body) as { type: string; data: { id: string } })
        .filter((e) => e.data.id === job)
        .map((e) => e.type);
      expect(types).toEqual([
        "fine_tuning.job.queued",
        "fine_tuning.job.queued",
        "fine_tuning.job.running",
        "fine_tuning.job.running",
        "fine_tuning.job.succeeded",
        "fine_tuning.job.succeeded",
      ]);
    }
  });

  it("sends only the event types an endpoint subscribed to", async () => {
    const who = await tenant();
    const ep = await endpoint(who, receiver.url, { events: ["fine_tuning.job.succeeded"] });
    await dispatcher();
    await runJob(t.db.sql, who.tenantId, "all_frozen");
    await waitFor("the success", () => receiver.received.length >= 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(receiver.received.map((r) => JSON.parse(r.body).type)).toEqual(["fine_tuning.job.succeeded"]);
    expect(await attempts(who, ep.id)).toHaveLength(1);
  });

  it("after the last scheduled attempt a delivery is failed; an endpoint failing for too long is disabled and says why", async () => {
    const who = await tenant();
    const ep = await endpoint(who, receiver.url);
    receiver.answer = () => ({ status: 500 });
    // The default disable period (5 days): the first delivery fails its 3 attempts, the endpoint stays enabled.
    await dispatcher({ retrySchedule: [0, 0.05, 0.05] });
    await postJson(t, `/v1/webhook_endpoints/${ep.id}/test`, {}, who.apiKey);
    await waitFor("three attempts", async () => (await attempts(who, ep.id)).length >= 3);
    await new Promise((r) => setTimeout(r, 300));
    const log = await attempts(who, ep.id);
    expect(log.map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect(log.every((a) => a.delivery_status === "failed")).toBe(true);
    const show = async () =>
      (await (
        await t.request(`/v1/webhook_endpoints/${ep.id}`, {
          headers: { authorization: `Bearer ${who.apiKey}` },
        })
      ).json()) as Endpoint & { failing_since: number | null };
    const failing = await show();
    expect(failing).toMatchObject({ enabled: true, status: "enabled", disabled_reason: null });
    expect(Math.abs(failing.failing_since! - Date.now() / 1000)).toBeLessThan(60);
    // As if it had been failing for six days: its next failure disables it.
    await t.db.sql.query(
      "update webhook_endpoints set failing_since = now() - interval '6 days' where id = $1",
      [ep.id],
    );
    await postJson(t, `/v1/webhook_endpoints/${ep.id}/test`, {}, who.apiKey);
    await waitFor("the endpoint disabled", async () => (await show()).enabled === false);
    const shown = await show();
    expect(shown).toMatchObject({ enabled: false, status: "disabled" });
    expect(shown.disabled_reason).toMatch(/no delivery succeeded since/);
    // A disabled endpoint receives nothing more, and says so to a test request.
    const test = await postJson(t, `/v1/webhook_endpoints/${ep.id}/test`, {}, who.apiKey);
    expect(test.status).toBe(409);
    // Redelivering the failed delivery after enabling the endpoint again sends the same event id.
    receiver.answer = () => ({ status: 200 });
    await postJson(t, `/v1/webhook_endpoints/${ep.id}`, { enabled: true }, who.apiKey);
    const again = await postJson(
      t,
      `/v1/webhook_endpoints/${ep.id}/deliveries/${log[0]!.delivery_id}/redeliver`,
      {},
      who.apiKey,
    );
    expect(again.status).toBe(200);
    const redelivered = async () =>
      (await attempts(who, ep.id)).filter((a) => a.delivery_id === log[0]!.delivery_id).slice(3);
    await waitFor("the redelivery", async () => (await redelivered()).some((a) => a.http_status === 200));
    // Its schedule started afresh (attempt 1) and it carried the same event id as its first three attempts.
    expect((await redelivered())[0]).toMatchObject({
      http_status: 200,
      attempt: 1,
      event_id: log[0]!.event_id,
    });
    const sameId = receiver.received.filter((r) => r.headers["webhook-id"] === log[0]!.event_id);
    expect(sameId.map((r) => r.headers["webhook-id"])).toHaveLength(4);
    // A settled delivery can be redelivered; one still scheduled cannot; an unknown one is a 404.
    const missing = await postJson(
      t,
      `/v1/webhook_endpoints/${ep.id}/deliveries/whdel_nope/redeliver`,
      {},
      who.apiKey,
    );
    expect(missing.status).toBe(404);
  });

  it("during a rotation's overlap deliveries carry both signatures, and each secret verifies them", async () => {
    const who = await tenant();
    const ep = await endpoint(who, receiver.url);
    const rotate = async (overlap: number) =>
      (await (
        await postJson(
          t,
          `/v1/webhook_endpoints/${ep.id}/rotate_secret`,
          { overlap_seconds: overlap },
          who.apiKey,
        )
      ).json()) as Endpoint;
    const rotated = await rotate(3600);
    await dispatcher();
    await postJson(t, `/v1/webhook_endpoints/${ep.id}/test`, {}, who.apiKey);
    const r = await waitFor("the test event", () => receiver.received[0]);
    const sigs = String(r.headers["webhook-signature"]).split(" ");
    expect(sigs).toHaveLength(2);
    for (const s of sigs) expect(s).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    for (const secret of [ep.secret, rotated.secret]) {
      expect(() => new Webhook(secret).verify(r.body, headersOf(r))).not.toThrow();
      await expect(openai.webhooks.unwrap(r.body, headersOf(r), secret)).resolves.toBeTruthy();
    }
    // With no overlap, only the newest secret signs.
    const last = await rotate(0);
    await postJson(t, `/v1/webhook_endpoints/${ep.id}/test`, {}, who.apiKey);
    const r2 = await waitFor("the second test event", () => receiver.received[1]);
    expect(String(r2.headers["webhook-signature"]).split(" ")).toHaveLength(1);
    expect(() => new Webhook(last.secret).verify(r2.body, headersOf(r2))).not.toThrow();
    expect(() => new Webhook(rotated.secret).verify(r2.body, headersOf(r2))).toThrow();
  });

  it("refuses at delivery time a target the policy forbids, so nothing reaches it", async () => {
    const who = await tenant();
    // Stored while private targets were allowed (e.g. DNS pointed elsewhere then); the dispatcher now forbids them.
    const byIp = await endpoint(who, receiver.url.replace("http:", "https:"));
    const byName = await endpoint(who, `https://localhost:${receiver.port}/hook`);
    await dispatcher({ allowPrivateTargets: false });
    for (const ep of [byIp, byName]) await postJson(t, `/v1/webhook_endpoints/${ep.id}/test`, {}, who.apiKey);
    await waitFor(
      "refusals",
      async () => (await attempts(who, byIp.id)).length > 0 && (await attempts(who, byName.id)).length > 0,
    );
    expect((await attempts(who, byIp.id))[0]!.error).toMatch(
      /refused: URL targets a non-public address \(127\.0\.0\.1\)/,
    );
    expect((await attempts(who, byName.id))[0]!.error).toMatch(
      /refused: localhost resolves to a non-public address/,
    );
    expect(receiver.received).toHaveLength(0);
  });

  it("does not follow redirects, reads only the first bytes of an answer, and times out a silent receiver", async () => {
    const who = await tenant();
    const ep = await endpoint(who, receiver.url);
    receiver.answer = (r, i) =>
      r.path !== "/hook"
        ? { status: 200 }
        : i === 0
          ? { status: 302, headers: { location: "/elsewhere" } }
          : i === 1
            ? "hang"
            : { status: 200, body: "x".repeat(200_000) };
    await dispatcher({ timeoutSeconds: 1.5 });
    await postJson(t, `/v1/webhook_endpoints/${ep.id}/test`, {}, who.apiKey);
    await waitFor("three attempts", async () => (await attempts(who, ep.id)).length >= 3);
    const log = await attempts(who, ep.id);
    expect(log[0]).toMatchObject({ http_status: 302, error: "HTTP 302" });
    expect(log[1]).toMatchObject({ http_status: null });
    expect(log[1]!.error).toMatch(/timeout/);
    expect(log[1]!.latency_ms).toBeGreaterThanOrEqual(1490);
    expect(log[2]).toMatchObject({ http_status: 200, delivery_status: "succeeded" });
    expect(log[2]!.response_body).toHaveLength(1024);
    expect(receiver.received.map((r) => r.path)).toEqual(["/hook", "/hook", "/hook"]);
  });

  it("two dispatchers side by side deliver every event exactly once while the receiver answers", async () => {
    const who = await tenant();
    await endpoint(who, receiver.url);
    await Promise.all([dispatcher({ concurrency: 4 }), dispatcher({ concurrency: 4 })]);
    for (let i = 0; i < 8; i++) await runJob(t.db.sql, who.tenantId);
    const expected = await outboxIds(who.tenantId);
    await waitFor("every event", () => new Set(receiver.ids()).size === expected.length);
    await new Promise((r) => setTimeout(r, 200));
    expect(receiver.ids().sort()).toEqual([...expected].sort());
  });
});
