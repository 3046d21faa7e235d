// Endpoint signing secrets: generated as Standard Webhooks' `whsec_<base64>` and stored encrypted with
// AES-256-GCM under a key from the configuration, so a database dump alone does not reveal them. The endpoint's
// id is bound in as associated data: a ciphertext copied onto another endpoint's row does not decrypt.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { WebhooksConfig } from "./config.ts";

const FORMAT = "v1";

/** 24 random bytes, as Svix's secrets. */
export function generateSecret(): string {
  return `whsec_${randomBytes(24).toString("base64")}`;
}

export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new RangeError(`the webhook secret key must be 32 bytes, got ${key.length}`);
  }

  seal(secret: string, endpointId: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    cipher.setAAD(Buffer.from(endpointId));
    const body = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
    return [FORMAT, iv, cipher.getAuthTag(), body]
      .map((p) => (typeof p === "string" ? p : p.toString("base64")))
      .join(".");
  }

  /** Throws when the ciphertext was made with another key or for another endpoint. */
  open(sealed: string, endpointId: string): string {
    const [format, iv, tag, body] = sealed.split(".");
    if (format !== FORMAT || !iv || !tag || body === undefined) throw new Error("unknown secret format");
    const decipher = createDecipheriv("aes-256-gcm", this.key, Buffer.from(iv, "base64"));
    decipher.setAAD(Buffer.from(endpointId));
    decipher.setAuthTag(Buffer.from(tag, "base64"));
    return Buffer.concat([decipher.update(Buffer.from(body, "base64")), decipher.final()]).toString("utf8");
  }
}

const boxes = new Map<string, SecretBox>();

/**
 * The box for this configuration: its key, or else the key file (created with a random key on first use,
 * readable by the owner only). A file suits the embedded deployment; several machines must share one key,
 * hence GRADES_WEBHOOK_SECRET_KEY there.
 */
export function secretBox(config: Pick<WebhooksConfig, "secretKey" | "secretKeyFile">): SecretBox {
  if (config.secretKey) return new SecretBox(config.secretKey);
  let box = boxes.get(config.secretKeyFile);
  if (!box) {
    box = new SecretBox(readOrCreateKey(config.secretKeyFile));
    boxes.set(config.secretKeyFile, box);
  }
  return box;
}

function readOrCreateKey(path: string): Buffer {
  try {
    return Buffer.from(readFileSync(path, "utf8").trim(), "base64");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  mkdirSync(dirname(path), { recursive: true });
  try {
    // `wx`: two processes starting together cannot both write a key; the loser reads the winner's.
    writeFileSync(path, `${randomBytes(32).toString("base64")}\n`, { flag: "wx", mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  return Buffer.from(readFileSync(path, "utf8").trim(), "base64");
}
