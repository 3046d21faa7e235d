// What goes wrong, through the SDK against the live service: errors by status with param and code, a bad key,
// an unknown id, an aborted call, a timeout, a refused connection, and 429s retried as the service asks.
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  APIConnectionError,
  APITimeoutError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  Grades,
  GradesError,
  NotFoundError,
  RateLimitError,
} from "../src/index.ts";
import { startTestService, type TestService } from "./support/service.ts";

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e,
  );

describe("errors by status", () => {
  it("a wrong API key is an AuthenticationError with the service's code", async () => {
    const err = await rejection(new Grades({ apiKey: "sk-wrong", baseURL: svc.baseURL }).models.list());
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err).toMatchObject({ status: 401, code: "invalid_api_key", type: "invalid_request_error" });
    expect((err as AuthenticationError).requestId).toMatch(/^req_/);
  });

  it("an unknown id is a NotFoundError naming the parameter", async () => {
    const client = svc.client();
    const job = await rejection(client.fineTuning.jobs.retrieve("ftjob-nope"));
    expect(job).toBeInstanceOf(NotFoundError);
    expect(job).toMatchObject({ status: 404, param: "fine_tuning_job_id", code: "not_found" });
    expect((job as Error).message).toBe("404 No such fine-tuning job: 'ftjob-nope'");
    const model = await rejection(client.models.retrieve("no-such-model"));
    expect(model).toMatchObject({ status: 404, param: "model", code: "model_not_found" });
  });

  it("ids are path-encoded, so an id cannot reach another route", async () => {
    const err = await rejection(svc.client().files.retrieve("../models"));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).toMatchObject({ param: "file_id" });
  });

  it("a bad field is a BadRequestError with param and code", async () => {
    const err = await rejection(
      svc.client().fineTuning.jobs.create({
        model: "demo-tiny",
        training_file: "file-x",
        method: { type: "supervised", supervised: { hyperparameters: { n_epochs: 0 } } },
      }),
    );
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toMatchObject({
      status: 400,
      param: "method.supervised.hyperparameters.n_epochs",
      code: "invalid_value",
    });
    const steps = await rejection(
      svc.client().fineTuning.jobs.create({ model: "demo-tiny", training_file: "file-x", max_steps: 0 }),
    );
    expect(steps).toMatchObject({ status: 400, param: "max_steps", code: "invalid_value" });
  });

  it("a conflict is a ConflictError, not retried when the service says x-should-retry: false", async () => {
    const statuses: number[] = [];
    const client = svc.client({
      maxRetries: 3,
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        statuses.push(res.status);
        return res;
      },
    });
    const upload = await client.uploads.create({
      bytes: 3,
      filename: "a.txt",
      mime_type: "text/plain",
      purpose: "batch",
    });
    await client.uploads.cancel(upload.id);
    statuses.length = 0;
    const err = await rejection(client.uploads.cancel(upload.id));
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({ code: "upload_not_pending" });
    expect(statuses).toEqual([409]);
  });

  it("a client without a key refuses to start, saying where the key comes from", () => {
    const saved = process.env.GRADES_API_KEY;
    delete process.env.GRADES_API_KEY;
    try {
      expect(() => new Grades()).toThrow(GradesError);
      expect(() => new Grades()).toThrow(/GRADES_API_KEY/);
    } finally {
      if (saved !== undefined) process.env.GRADES_API_KEY = saved;
    }
  });

  it("reads GRADES_API_KEY and GRADES_BASE_URL when not given", async () => {
    const saved = { key: process.env.GRADES_API_KEY, url: process.env.GRADES_BASE_URL };
    process.env.GRADES_API_KEY = svc.apiKey;
    process.env.GRADES_BASE_URL = `${svc.baseURL}/`;
    try {
      const client = new Grades();
      expect(client.baseURL).toBe(svc.baseURL);
      // Authenticated with the key from the environment: an empty list, not a 401.
      expect((await client.models.list()).data).toEqual([]);
    } finally {
      for (const [k, v] of [
        ["GRADES_API_KEY", saved.key],
        ["GRADES_BASE_URL", saved.url],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});

describe("aborts, timeouts and connection failures", () => {
  let stalled: Server;
  let stalledURL: string;
  /** Request heads received, whichever connection they came on. */
  let requests = 0;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    // Reads requests and never answers.
    stalled = createServer((socket) => {
      sockets.push(socket);
      socket.on("data", (d) => {
        requests += d.toString("latin1").split(" HTTP/1.1\r\n").length - 1;
      });
    });
    await new Promise<void>((r) => stalled.listen(0, "127.0.0.1", r));
    const port = (stalled.address() as { port: number }).port;
    stalledURL = `http://127.0.0.1:${port}/v1`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => stalled.close(r));
  });

  it("an aborted call rejects with APIUserAbortError at once, and is not retried", async () => {
    requests = 0;
    const client = new Grades({ apiKey: "k", baseURL: stalledURL, maxRetries: 3 });
    const controller = new AbortController();
    const started = Date.now();
    const call = client.models.list({ signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    expect(await rejection(call)).toBeInstanceOf(APIUserAbortError);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(requests).toBe(1);
    const already = await rejection(svc.client().models.list({ signal: AbortSignal.abort() }));
    expect(already).toBeInstanceOf(APIUserAbortError);
  });

  it("a call with no answer within the timeout is an APITimeoutError after its retries", async () => {
    requests = 0;
    const client = new Grades({ apiKey: "k", baseURL: stalledURL, timeout: 200, maxRetries: 1 });
    const err = await rejection(client.files.retrieve("file-x"));
    expect(err).toBeInstanceOf(APITimeoutError);
    expect(err).toBeInstanceOf(APIConnectionError);
    expect(requests).toBe(2);
    // A per-call timeout overrides the client's.
    const perCall = await rejection(
      new Grades({ apiKey: "k", baseURL: stalledURL, maxRetries: 0 }).files.retrieve("f", { timeout: 100 }),
    );
    expect(perCall).toBeInstanceOf(APITimeoutError);
  });

  it("creates send one Idempotency-Key per call, the same on each retry", async () => {
    const keys: (string | null)[] = [];
    const client = new Grades({
      apiKey: "k",
      baseURL: stalledURL,
      timeout: 100,
      maxRetries: 2,
      fetch: (input, init) => {
        keys.push(new Headers(init?.headers).get("idempotency-key"));
        return fetch(input, init);
      },
    });
    const create = (key?: string) =>
      rejection(client.fineTuning.jobs.create({ model: "m", training_file: "f" }, { idempotencyKey: key }));
    await create();
    await create();
    await create("my-key");
    await rejection(client.fineTuning.jobs.retrieve("ftjob-x"));
    expect(keys).toHaveLength(12);
    const [first, second, mine, read] = [keys.slice(0, 3), keys.slice(3, 6), keys.slice(6, 9), keys.slice(9)];
    expect(new Set(first).size).toBe(1);
    expect(first[0]).toMatch(/^grades-sdk-[0-9a-f-]{36}$/);
    expect(new Set(second).size).toBe(1);
    expect(second[0]).not.toBe(first[0]);
    expect(mine).toEqual(["my-key", "my-key", "my-key"]);
    expect(read).toEqual([null, null, null]);
  });

  it("a refused connection is an APIConnectionError carrying the cause", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    const client = new Grades({ apiKey: "k", baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 1 });
    const err = await rejection(client.models.list());
    expect(err).toBeInstanceOf(APIConnectionError);
    expect(err).not.toBeInstanceOf(APITimeoutError);
    expect((err as Error).cause).toBeDefined();
  });
});

describe("a 429 from the service's rate limiter", () => {
  let limited: TestService;
  beforeAll(async () => {
    // 60 per minute: one request back every second (retry-after-ms at most 1000).
    limited = await startTestService({ env: { GRADES_RATE_LIMIT_PER_MINUTE: "60" } });
  });
  afterAll(async () => {
    await limited?.close();
  });

  it("is a RateLimitError without retries, and is retried after retry-after-ms with them", async () => {
    const noRetry = limited.client({ maxRetries: 0 });
    // Until a 429 that asks for more than half a second: the bucket has just been emptied, so the next call
    // is refused too unless it waits.
    let err: RateLimitError | undefined;
    for (let i = 0; i < 300; i++) {
      const e = await noRetry.models.list().then(
        () => undefined,
        (e: unknown) => e,
      );
      if (e === undefined) continue;
      expect(e).toBeInstanceOf(RateLimitError);
      err = e as RateLimitError;
      if (Number(err.headers!.get("retry-after-ms")) > 500) break;
    }
    expect(err).toMatchObject({ status: 429, code: "rate_limit_exceeded", type: "requests" });
    expect(Number(err!.headers!.get("retry-after-ms"))).toBeLessThanOrEqual(1000);

    const attempts: { status: number; at: number; retryAfterMs: number }[] = [];
    const retrying = limited.client({
      maxRetries: 2,
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        attempts.push({
          status: res.status,
          at: Date.now(),
          retryAfterMs: Number(res.headers.get("retry-after-ms")),
        });
        return res;
      },
    });
    // The bucket is empty: the first attempt is refused, the retry waits as told and gets through.
    const page = await retrying.models.list();
    expect(page.data).toEqual([]);
    expect(attempts.map((a) => a.status)).toEqual([429, 200]);
    const [refused, passed] = attempts as [(typeof attempts)[0], (typeof attempts)[0]];
    expect(passed.at - refused.at).toBeGreaterThanOrEqual(refused.retryAfterMs - 5);
  });
});
