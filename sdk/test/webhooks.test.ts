// webhooks.verify / unwrap (Web Crypto) against signatures made by the `standardwebhooks` package, the
// reference implementation of Standard Webhooks: valid, tampered, wrong secret, stale, rotated and malformed.
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { Grades, WebhookVerificationError } from "../src/index.ts";

const SECRET = `whsec_${Buffer.from("a-32-byte-secret-for-the-tests!!").toString("base64")}`;
const OTHER = `whsec_${Buffer.from("another-secret-of-32-bytes-here!").toString("base64")}`;
const client = new Grades({ apiKey: "unused", baseURL: "http://127.0.0.1:1/v1", webhookSecret: SECRET });

const payload = JSON.stringify({
  id: "evt_1",
  object: "event",
  created_at: 1_764_000_000,
  type: "fine_tuning.job.succeeded",
  data: { id: "ftjob-abc" },
});

function signed(body: string, secret = SECRET, at = new Date(), id = "msg_1") {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(id, at, body),
  };
}

describe("webhooks", () => {
  it("unwraps a webhook signed by the reference implementation, from a record or a Headers object", async () => {
    const headers = signed(payload);
    const event = await client.webhooks.unwrap(payload, headers);
    expect(event).toEqual(JSON.parse(payload));
    expect((await client.webhooks.unwrap(payload, new Headers(headers))).data.id).toBe("ftjob-abc");
    // The reference implementation agrees that this is valid.
    expect(new Webhook(SECRET).verify(payload, headers)).toEqual(JSON.parse(payload));
  });

  it("takes the secret as an argument, with or without the whsec_ prefix", async () => {
    const bare = new Grades({ apiKey: "unused", baseURL: "http://127.0.0.1:1/v1" });
    await expect(bare.webhooks.verify(payload, signed(payload), SECRET)).resolves.toBeUndefined();
    await expect(bare.webhooks.verify(payload, signed(payload), SECRET.slice(6))).resolves.toBeUndefined();
    await expect(bare.webhooks.verify(payload, signed(payload))).rejects.toThrow(/No webhook secret/);
  });

  it("refuses a tampered body, another secret's signature and a changed id", async () => {
    const headers = signed(payload);
    await expect(client.webhooks.verify(`${payload} `, headers)).rejects.toThrow(WebhookVerificationError);
    await expect(client.webhooks.verify(payload, signed(payload, OTHER))).rejects.toThrow(
      /No matching webhook signature/,
    );
    await expect(client.webhooks.verify(payload, { ...headers, "webhook-id": "msg_2" })).rejects.toThrow(
      WebhookVerificationError,
    );
  });

  it("accepts any one matching signature of several (secret rotation)", async () => {
    const headers = signed(payload);
    const old = signed(payload, OTHER)["webhook-signature"];
    await expect(
      client.webhooks.verify(payload, {
        ...headers,
        "webhook-signature": `${old} ${headers["webhook-signature"]}`,
      }),
    ).resolves.toBeUndefined();
    await expect(
      client.webhooks.verify(payload, { ...headers, "webhook-signature": `v2,abc ${old}` }),
    ).rejects.toThrow(WebhookVerificationError);
  });

  it("refuses timestamps outside five minutes either way, and accepts them within", async () => {
    const now = Date.now();
    const at = (ms: number) => signed(payload, SECRET, new Date(now + ms));
    await expect(client.webhooks.verify(payload, at(-6 * 60_000))).rejects.toThrow(/too old/);
    await expect(client.webhooks.verify(payload, at(6 * 60_000))).rejects.toThrow(/future/);
    await expect(client.webhooks.verify(payload, at(-4 * 60_000))).resolves.toBeUndefined();
    await expect(
      client.webhooks.verify(payload, at(-6 * 60_000), SECRET, { toleranceSeconds: 600 }),
    ).resolves.toBeUndefined();
  });

  it("refuses missing headers and a malformed timestamp", async () => {
    const { "webhook-signature": _, ...noSignature } = signed(payload);
    await expect(client.webhooks.verify(payload, noSignature)).rejects.toThrow(/Missing/);
    await expect(
      client.webhooks.verify(payload, { ...signed(payload), "webhook-timestamp": "12abc" }),
    ).rejects.toThrow(/Invalid webhook-timestamp/);
  });
});
