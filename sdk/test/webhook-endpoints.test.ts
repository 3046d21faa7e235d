// webhookEndpoints through the SDK against the live service and its dispatcher, with a real HTTP receiver: every
// route (create, list, retrieve, update, delete, rotateSecret, deliveries.list, deliveries.redeliver, test), a
// test event verified by `client.webhooks.unwrap`, and the service's refusals as typed errors. Private targets
// are allowed by the service's setting (GRADES_WEBHOOK_ALLOW_PRIVATE_TARGETS), as for local development.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../common/logger.ts";
import { FAST_WEBHOOKS_ENV, Receiver, waitFor } from "../../test/worker/webhooks/support.ts";
import { type RunningDispatcher, startDispatcher } from "../../worker/webhooks/index.ts";
import {
  BadRequestError,
  ConflictError,
  type Grades,
  NotFoundError,
  WebhookVerificationError,
} from "../src/index.ts";
import { startTestService, type TestService } from "./support/service.ts";

let svc: TestService;
let client: Grades;
let receiver: Receiver;
let dispatcher: RunningDispatcher;

beforeAll(async () => {
  svc = await startTestService({ env: FAST_WEBHOOKS_ENV });
  client = svc.client();
  receiver = new Receiver();
  await receiver.start();
  dispatcher = await startDispatcher({ db: svc.t.db, logger: silentLogger(), config: svc.t.config.webhooks });
});
afterAll(async () => {
  await dispatcher?.stop();
  await receiver?.stop();
  await svc?.close();
});

/** The receiver's requests carrying event `eventId` (the webhook-id header). */
const receivedFor = (eventId: string) => receiver.received.filter((r) => r.headers["webhook-id"] === eventId);

describe("webhookEndpoints", () => {
  it("creates, retrieves, updates, lists across pages and deletes an endpoint", async () => {
    const created = await client.webhookEndpoints.create({
      url: receiver.url,
      events: ["fine_tuning.job.succeeded"],
      description: "crud",
    });
    expect(created).toMatchObject({
      object: "webhook_endpoint",
      url: receiver.url,
      events: ["fine_tuning.job.succeeded"],
      description: "crud",
      enabled: true,
      status: "enabled",
    });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);

    const fetched = await client.webhookEndpoints.retrieve(created.id);
    expect(fetched.id).toBe(created.id);
    expect(fetched.secret).toBeUndefined();

    const updated = await client.webhookEndpoints.update(created.id, {
      events: ["*"],
      description: null,
      enabled: false,
    });
    expect(updated).toMatchObject({ events: ["*"], description: null, enabled: false, status: "disabled" });

    const other = await client.webhookEndpoints.create({ url: `${receiver.url}?second` });
    expect(other.events).toEqual(["*"]);
    // limit 1: the async iterator fetches the second page by itself, newest first.
    const ids: string[] = [];
    for await (const e of client.webhookEndpoints.list({ limit: 1 })) ids.push(e.id);
    expect(ids.indexOf(other.id)).toBeLessThan(ids.indexOf(created.id));
    expect(ids.indexOf(created.id)).toBeGreaterThanOrEqual(0);
    const page = await client.webhookEndpoints.list({ limit: 1 });
    expect(page.data).toHaveLength(1);
    expect(page.hasNextPage()).toBe(true);

    for (const id of [created.id, other.id]) {
      expect(await client.webhookEndpoints.delete(id)).toEqual({
        id,
        object: "webhook_endpoint",
        deleted: true,
      });
    }
    await expect(client.webhookEndpoints.retrieve(created.id)).rejects.toThrow(NotFoundError);
  });

  it("delivers a test event that unwrap verifies with the endpoint's secret, logs it, and redelivers it", async () => {
    const endpoint = await client.webhookEndpoints.create({ url: receiver.url });
    const delivery = await client.webhookEndpoints.test(endpoint.id);
    expect(delivery).toMatchObject({
      object: "webhook_endpoint.delivery",
      event_type: "webhook_endpoint.test",
    });

    const [got] = await waitFor(
      "the test event",
      () => receivedFor(delivery.event_id).length > 0 && receivedFor(delivery.event_id),
    );
    const event = await client.webhooks.unwrap(got!.body, got!.headers, endpoint.secret);
    expect(event).toMatchObject({
      id: delivery.event_id,
      object: "event",
      type: "webhook_endpoint.test",
      data: { id: endpoint.id },
    });
    const otherSecret = `whsec_${Buffer.from("not-the-endpoint-secret-32-bytes").toString("base64")}`;
    await expect(client.webhooks.unwrap(got!.body, got!.headers, otherSecret)).rejects.toThrow(
      WebhookVerificationError,
    );

    // The attempt is recorded once the receiver's answer is in.
    const attempts = await waitFor("the recorded attempt", async () => {
      const page = await client.webhookEndpoints.deliveries.list(endpoint.id);
      return page.data.some((a) => a.delivery_status === "succeeded") && page.data;
    });
    expect(attempts[0]).toMatchObject({
      object: "webhook_endpoint.delivery_attempt",
      delivery_id: delivery.id,
      event_id: delivery.event_id,
      attempt: 1,
      http_status: 200,
      response_body: "ok",
      error: null,
    });

    const again = await client.webhookEndpoints.deliveries.redeliver(endpoint.id, delivery.id);
    expect(again).toMatchObject({ id: delivery.id, event_id: delivery.event_id });
    // Same event id, so a receiver deduplicating on webhook-id sees it as the same event.
    await waitFor("the redelivery", () => receivedFor(delivery.event_id).length === 2);
    const [, second] = receivedFor(delivery.event_id);
    expect((await client.webhooks.unwrap(second!.body, second!.headers, endpoint.secret)).id).toBe(event.id);
    await client.webhookEndpoints.delete(endpoint.id);
  });

  it("rotates the secret: during the overlap a delivery verifies with the old and the new secret", async () => {
    const endpoint = await client.webhookEndpoints.create({ url: receiver.url });
    const rotated = await client.webhookEndpoints.rotateSecret(endpoint.id, { overlap_seconds: 3600 });
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(endpoint.secret);
    expect(rotated.previous_secret_expires_at).toBeGreaterThan(Date.now() / 1000 + 3500);

    const delivery = await client.webhookEndpoints.test(endpoint.id);
    const [got] = await waitFor(
      "the test event",
      () => receivedFor(delivery.event_id).length > 0 && receivedFor(delivery.event_id),
    );
    expect(String(got!.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    for (const secret of [endpoint.secret, rotated.secret]) {
      expect((await client.webhooks.unwrap(got!.body, got!.headers, secret)).id).toBe(delivery.event_id);
    }

    // Ending the overlap now: only the newest secret signs.
    const last = await client.webhookEndpoints.rotateSecret(endpoint.id, { overlap_seconds: 0 });
    expect(last.previous_secret_expires_at).toBeNull();
    const next = await client.webhookEndpoints.test(endpoint.id);
    const [after] = await waitFor(
      "the next test event",
      () => receivedFor(next.event_id).length > 0 && receivedFor(next.event_id),
    );
    await expect(client.webhooks.unwrap(after!.body, after!.headers, rotated.secret)).rejects.toThrow(
      WebhookVerificationError,
    );
    expect((await client.webhooks.unwrap(after!.body, after!.headers, last.secret)).id).toBe(next.event_id);
    await client.webhookEndpoints.delete(endpoint.id);
  });

  it("refuses bad input naming the field, a disabled endpoint's test, and unknown ids", async () => {
    const bad = await client.webhookEndpoints.create({ url: "ftp://example.com/hooks" }).catch((e) => e);
    expect(bad).toBeInstanceOf(BadRequestError);
    expect(bad).toMatchObject({ status: 400, param: "url", code: "invalid_url" });
    const events = await client.webhookEndpoints
      // @ts-expect-error an event type the service does not know
      .create({ url: receiver.url, events: ["fine_tuning.job.exploded"] })
      .catch((e) => e);
    expect(events).toMatchObject({ status: 400, param: "events.0" });

    const endpoint = await client.webhookEndpoints.create({ url: receiver.url, enabled: false });
    await expect(client.webhookEndpoints.test(endpoint.id)).rejects.toThrow(ConflictError);
    await expect(client.webhookEndpoints.deliveries.redeliver(endpoint.id, "whd_missing")).rejects.toThrow(
      NotFoundError,
    );
    await client.webhookEndpoints.delete(endpoint.id);
    for (const call of [
      () => client.webhookEndpoints.update(endpoint.id, { enabled: true }),
      () => client.webhookEndpoints.rotateSecret(endpoint.id),
      () => client.webhookEndpoints.deliveries.list(endpoint.id),
      () => client.webhookEndpoints.delete(endpoint.id),
    ]) {
      await expect(call()).rejects.toThrow(NotFoundError);
    }
  });
});
