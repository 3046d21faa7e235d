import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateSecret, SecretBox, secretBox } from "../../../db/webhooks/secrets.ts";

describe("webhook secrets", () => {
  it("are whsec_ and 24 random bytes", () => {
    const a = generateSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(a).not.toBe(generateSecret());
  });

  it("are sealed so that only the same key and endpoint open them", () => {
    const key = randomBytes(32);
    const box = new SecretBox(key);
    const secret = generateSecret();
    const sealed = box.seal(secret, "we_1");
    expect(sealed).not.toContain(secret.slice(6));
    expect(box.seal(secret, "we_1")).not.toBe(sealed); // a fresh IV each time
    expect(box.open(sealed, "we_1")).toBe(secret);
    expect(new SecretBox(Buffer.from(key)).open(sealed, "we_1")).toBe(secret);
    expect(() => new SecretBox(randomBytes(32)).open(sealed, "we_1")).toThrow();
    expect(() => box.open(sealed, "we_2")).toThrow();
    const [v, iv, tag, body] = sealed.split(".");
    const flipped = Buffer.from(body!, "base64");
    flipped[0]! ^= 1;
    expect(() => box.open([v, iv, tag, flipped.toString("base64")].join("."), "we_1")).toThrow();
  });

  it("needs a 32-byte key", () => {
    expect(() => new SecretBox(randomBytes(16))).toThrow(/32 bytes/);
  });

  it("without a configured key, uses a key file created once, readable by its owner only", async () => {
    const dir = await mkdtemp(join(tmpdir(), "grades-webhook-key-"));
    try {
      const file = join(dir, "sub", "webhook-secret.key");
      const sealed = secretBox({ secretKey: undefined, secretKeyFile: file }).seal("whsec_x", "we_1");
      const key = Buffer.from((await readFile(file, "utf8")).trim(), "base64");
      expect(key).toHaveLength(32);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(new SecretBox(key).open(sealed, "we_1")).toBe("whsec_x");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
