// The real service for SDK tests: the app from its one factory on a test database (PGlite, or Postgres with
// TEST_DATABASE_URL), served over HTTP on a free port, optionally with a worker training the built-in demo model.
// One per test file; `client()` gives an SDK client for the seeded tenant.
import type { ObjectStorage } from "../../../db/storage/types.ts";
import { type RunningServer, startServer } from "../../../infra/server.ts";
import { startTestWorker, withDemoModel } from "../../../test/e2e/training-support.ts";
import { createTestApp, type TestApp } from "../../../test/support/app.ts";
import type { TrainFn } from "../../../worker/context.ts";
import { train } from "../../../worker/engine/index.ts";
import type { RunningWorker, WorkerOptions } from "../../../worker/index.ts";
import { type ClientOptions, Grades } from "../../src/index.ts";

export interface TestService {
  t: TestApp;
  url: string;
  /** The `/v1` base URL the SDK is given. */
  baseURL: string;
  apiKey: string;
  client(opts?: ClientOptions): Grades;
  close(): Promise<void>;
}

export interface TestServiceOptions {
  env?: Record<string, string>;
  storage?: ObjectStorage;
  /** Start a worker (and store the demo model) so that jobs train. */
  worker?: boolean | WorkerOptions;
}

export async function startTestService(opts: TestServiceOptions = {}): Promise<TestService> {
  const t = await createTestApp({
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.storage ? { storage: opts.storage } : {}),
  });
  let server: RunningServer | undefined;
  let worker: RunningWorker | undefined;
  try {
    server = await startServer(t.deps, { port: 0, host: "127.0.0.1" });
    if (opts.worker) {
      await withDemoModel(t);
      worker = await startTestWorker(t, opts.worker === true ? {} : opts.worker);
    }
  } catch (err) {
    await server?.close();
    await t.close();
    throw err;
  }
  const baseURL = `${server.url}/v1`;
  return {
    t,
    url: server.url,
    baseURL,
    apiKey: t.apiKey,
    client: (o = {}) => new Grades({ apiKey: t.apiKey, baseURL, ...o }),
    async close() {
      await worker?.stop();
      await server?.close();
      await t.close();
    },
  };
}

/** `n` chat examples teaching one reply, in OpenAI's chat format. */
export { chatDataset } from "../../../test/e2e/helpers.ts";

/** The real engine with a pause after each step, so that a pause or cancel reliably lands mid-run. */
export function slowedTrain(ms: number): TrainFn {
  return (spec, hooks) =>
    train(spec, {
      ...hooks,
      onEvent: async (e) => {
        await hooks.onEvent?.(e);
        if (e.type === "step") await new Promise((r) => setTimeout(r, ms));
      },
    });
}
