// A create whose answer is lost (the client times out after the service created the object) and is retried by
// the SDK yields one object: the retry carries the call's Idempotency-Key and the service replays its answer.
// A real HTTP proxy between the SDK and the live service holds back the first answer past the client's timeout.
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerFakeBaseModel, uploadDataset } from "../../test/e2e/helpers.ts";
import { startTestService, type TestService } from "./support/service.ts";

interface Seen {
  method: string;
  path: string;
  key: string | undefined;
  status: number;
  replayed: boolean;
  body: string;
  /** The proxy held this answer back until the client had given up on it. */
  dropped: boolean;
}

let svc: TestService;
let proxy: Server;
let proxyURL: string;
const seen: Seen[] = [];
/** Paths whose first POST answer is held back until the client has timed out. */
const delayFirstPost = new Set<string>();
const TIMEOUT_MS = 400;

beforeAll(async () => {
  svc = await startTestService({ env: { GRADES_WEBHOOK_ALLOW_PRIVATE_TARGETS: "true" } });
  const upstream = new URL(svc.url);
  proxy = createServer((req, res) => {
    const forwarded = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      async (answer) => {
        const chunks: Buffer[] = [];
        for await (const chunk of answer) chunks.push(chunk as Buffer);
        const body = Buffer.concat(chunks);
        const path = (req.url ?? "").replace(/^\/v1/, "");
        const dropped =
          req.method === "POST" &&
          delayFirstPost.has(path) &&
          !seen.some((s) => s.method === "POST" && s.path === path);
        seen.push({
          method: req.method ?? "",
          path,
          key: req.headers["idempotency-key"] as string | undefined,
          status: answer.statusCode ?? 0,
          replayed: answer.headers["idempotent-replayed"] === "true",
          body: body.toString("utf8"),
          dropped,
        });
        // The service has committed the create; the client hears nothing until it has given up.
        if (dropped) await new Promise((r) => setTimeout(r, TIMEOUT_MS * 3));
        if (res.destroyed) return;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        res.end(body);
      },
    );
    forwarded.on("error", () => res.destroy());
    req.pipe(forwarded);
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  proxyURL = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  await new Promise((r) => proxy?.close(r));
  await svc?.close();
});

const client = () => svc.client({ baseURL: proxyURL, timeout: TIMEOUT_MS, maxRetries: 2 });

async function count(table: string): Promise<number> {
  const [row] = await svc.t.db.sql.query<{ n: number }>(`select count(*)::int as n from ${table}`);
  return row!.n;
}

/** The two answers the service gave: the one the client never heard, and the replay of it. */
function answersTo(path: string): Seen[] {
  return seen.filter((s) => s.method === "POST" && s.path === path);
}

describe("a create retried after a timeout", () => {
  it("uploads one file: the retry replays the first answer under the same key", async () => {
    delayFirstPost.add("/files");
    const before = await count("files");
    const file = await client().files.create({
      file: new Blob(["lost answer\n"]),
      filename: "lost.txt",
      purpose: "batch",
    });
    const [first, retry, ...more] = answersTo("/files");
    expect(more).toEqual([]);
    expect(first).toMatchObject({ status: 200, dropped: true, replayed: false });
    expect(retry).toMatchObject({ status: 200, dropped: false, replayed: true, key: first!.key });
    expect(first!.key).toMatch(/^grades-sdk-/);
    expect(file.id).toBe(JSON.parse(first!.body).id);
    expect(await count("files")).toBe(before + 1);
  });

  it("creates one fine-tuning job", async () => {
    await registerFakeBaseModel(svc.t, "idem-sdk-base");
    const training = await uploadDataset(svc.t, '{"text": "a"}\n{"text": "b"}\n');
    delayFirstPost.add("/fine_tuning/jobs");
    const before = await count("fine_tuning_jobs");
    const job = await client().fineTuning.jobs.create({ model: "idem-sdk-base", training_file: training });
    const [first, retry] = answersTo("/fine_tuning/jobs");
    expect(first).toMatchObject({ status: 200, dropped: true });
    expect(retry).toMatchObject({ status: 200, replayed: true, key: first!.key });
    expect(job.id).toBe(JSON.parse(first!.body).id);
    expect(await count("fine_tuning_jobs")).toBe(before + 1);
  });

  it("creates one webhook endpoint and hands back its one secret", async () => {
    delayFirstPost.add("/webhook_endpoints");
    const before = await count("webhook_endpoints");
    const endpoint = await client().webhookEndpoints.create({ url: "http://127.0.0.1:9/lost" });
    const [first] = answersTo("/webhook_endpoints");
    expect(endpoint.secret).toBe(JSON.parse(first!.body).secret);
    expect(await count("webhook_endpoints")).toBe(before + 1);
  });
});
