// Standard Webhooks headers, made by the `standardwebhooks` library. With two secrets (a rotation's overlap)
// the signature header carries both signatures, space-separated, as the specification allows: a receiver
// that knows either secret accepts the delivery.
import { Webhook } from "standardwebhooks";

export function signedHeaders(
  eventId: string,
  timestamp: Date,
  body: string,
  secrets: readonly string[],
): Record<string, string> {
  return {
    "webhook-id": eventId,
    "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
    "webhook-signature": secrets.map((s) => new Webhook(s).sign(eventId, timestamp, body)).join(" "),
  };
}
