import { readdir } from "node:fs/promises";
import http from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../infra/server.ts";
import { createTestApp, type TestApp } from "../support/app.ts";

describe("a client that disconnects mid-upload", () => {
  let t: TestApp;
  let server: RunningServer;
  beforeAll(async () => {
    t = await createTestApp();
    server = await startServer(t.deps, { port: 0, host: "127.0.0.1" });
  });
  afterAll(async () => {
    await server.close();
    await t.close();
  });

  it("leaves no row, no object and no temporary file", async () => {
    const boundary = "b0undary";
    const req = http.request({
      host: "127.0.0.1",
      port: server.port,
      method: "POST",
      path: "/v1/files",
      headers: {
        authorization: `Bearer ${t.apiKey}`,
        "content-type": `multipart/form-data; boundary=${boundary}`,
        "content-length": 10_000_000,
      },
    });
    req.on("error", () => {});
    req.write(
      `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nfine-tune\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.jsonl"\r\n\r\n`,
    );
    for (let i = 0; i < 2000; i++) req.write('{"text": "hello there"}\n');

    const root = join(t.config.dataDir, "objects");
    const leftovers = async () =>
      (await readdir(root, { recursive: true, withFileTypes: true }).catch(() => [])).filter((e) =>
        e.isFile(),
      );
    // Disconnect only once the server is writing the object, so the abort lands in the middle of the put.
    for (let i = 0; i < 200 && (await leftovers()).length === 0; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect((await leftovers()).map((e) => e.name)).toEqual([expect.stringContaining(".tmp-")]);
    req.destroy();

    // The server notices the disconnect asynchronously; wait until its storage folder settles.
    for (let i = 0; i < 100 && (await leftovers()).length > 0; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(await leftovers()).toEqual([]);
    expect(await t.storage.list("")).toEqual([]);
    expect(await t.db.sql.query("select id from files")).toEqual([]);
    // And the server still serves.
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});
