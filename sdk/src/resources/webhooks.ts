// Verifying the service's webhooks: Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature
// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, secrets `whsec_<base64>`), with Web Crypto only.
import { WebhookVerificationError } from "../core/errors.ts";
import { APIResource } from "../resource.ts";

/** Seconds a webhook's timestamp may differ from this clock, either way (the Standard Webhooks default). */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

/** The event envelope every webhook carries; `data.id` is the object's id (a job's, for job events). */
export interface WebhookEvent {
  id: string;
  object: "event";
  created_at: number;
  type: string;
  data: { id: string; [key: string]: unknown };
}

export interface WebhookVerifyOptions {
  /** Default 300 s. */
  toleranceSeconds?: number;
  /** Unix seconds to check the timestamp against (default: now). */
  now?: number;
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === name) return Array.isArray(v) ? v.join(",") : v;
  }
  return undefined;
}

function base64Bytes(text: string): Uint8Array {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export class Webhooks extends APIResource {
  /**
   * Checks the signature and timestamp of a webhook, then parses its body. `body` must be the raw request body,
   * exactly as received (the signature covers its bytes).
   */
  async unwrap(
    body: string,
    headers: WebhookHeaders,
    secret?: string,
    options?: WebhookVerifyOptions,
  ): Promise<WebhookEvent> {
    await this.verify(body, headers, secret, options);
    return JSON.parse(body) as WebhookEvent;
  }

  /** Throws WebhookVerificationError unless one of the signatures is the secret's, on a recent timestamp. */
  async verify(
    body: string,
    headers: WebhookHeaders,
    secret: string | undefined = this.client.webhookSecret,
    options: WebhookVerifyOptions = {},
  ): Promise<void> {
    if (!secret) {
      throw new WebhookVerificationError(
        "No webhook secret: pass one, or set `webhookSecret` or GRADES_WEBHOOK_SECRET.",
      );
    }
    const id = header(headers, "webhook-id");
    const timestamp = header(headers, "webhook-timestamp");
    const signatures = header(headers, "webhook-signature");
    if (!id || !timestamp || !signatures) {
      throw new WebhookVerificationError(
        "Missing webhook-id, webhook-timestamp or webhook-signature header.",
      );
    }
    const seconds = Number(timestamp);
    if (!/^\d+$/.test(timestamp) || !Number.isSafeInteger(seconds)) {
      throw new WebhookVerificationError("Invalid webhook-timestamp header.");
    }
    const now = options.now ?? Math.floor(Date.now() / 1000);
    const tolerance = options.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS;
    if (seconds < now - tolerance) throw new WebhookVerificationError("Webhook timestamp is too old.");
    if (seconds > now + tolerance) throw new WebhookVerificationError("Webhook timestamp is in the future.");

    let keyBytes: Uint8Array;
    try {
      keyBytes = base64Bytes(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret);
    } catch {
      throw new WebhookVerificationError("The webhook secret is not valid base64 (whsec_<base64>).");
    }
    const key = await globalThis.crypto.subtle.importKey(
      "raw",
      keyBytes as BufferSource,
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["verify"],
    );
    const signed = new TextEncoder().encode(`${id}.${timestamp}.${body}`);
    // Several space-separated `version,signature` pairs may be sent during a secret rotation; one match is enough.
    for (const pair of signatures.split(" ")) {
      const [version, signature] = pair.split(",");
      if (version !== "v1" || !signature) continue;
      let bytes: Uint8Array;
      try {
        bytes = base64Bytes(signature);
      } catch {
        continue;
      }
      // subtle.verify compares in constant time.
      if (await globalThis.crypto.subtle.verify("HMAC", key, bytes as BufferSource, signed)) return;
    }
    throw new WebhookVerificationError("No matching webhook signature found.");
  }
}
