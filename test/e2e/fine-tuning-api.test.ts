// The fine-tuning API through app.request() and through the official openai client against a live server.
// No worker runs here: jobs stay queued, which is what the state changes below need.
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILTIN_MODEL_ALIAS, ensureBuiltinModels } from "../../api/models/builtin-model.ts";
import { silentLogger } from "../../common/logger.ts";
import { insertModel } from "../../db/models.ts";
import { BUILTIN_MODEL_TRAINING_DEFAULTS } from "../../models/builtin.ts";
import { createTestApp, type TestApp } from "../support/app.ts";
import { chatDataset, postJson, registerFakeBaseModel, uploadDataset } from "./helpers.ts";

let t: TestApp;
let trainingFile: string;

beforeAll(async () => {
  t = await createTestApp();
  await registerFakeBaseModel(t, "base-small");
  trainingFile = await uploadDataset(t, chatDataset(40));
});
afterAll(async () => {
  await t?.close();
});

const create = (body: Record<string, unknown>) =>
  postJson(t, "/v1/fine_tuning/jobs", { model: "base-small", training_file: trainingFile, ...body });

async function errorOf(res: Response) {
  return ((await res.json()) as { error: { message: string; param: string | null; code: string | null } })
    .error;
}

describe("POST /v1/fine_tuning/jobs", () => {
  it("creates a queued job with every 'auto' resolved and our extensions filled in", async () => {
    const res = await create({
      suffix: "colours",
      seed: 42,
      metadata: { team: "research" },
      method: { type: "supervised", supervised: { hyperparameters: { n_epochs: 2, batch_size: "auto" } } },
      grades: { tau: 0.001 },
      max_steps: 5,
    });
    expect(res.status).toBe(200);
    const job = (await res.json()) as Record<string, any>;
    expect(job).toMatchObject({
      object: "fine_tuning.job",
      status: "queued",
      model: "base-small",
      training_file: trainingFile,
      seed: 42,
      user_provided_suffix: "colours",
      metadata: { team: "research" },
      fine_tuned_model: null,
      training_type: "lora",
      // 40 examples: batch size 2 by the auto rule, multiplier 1.
      hyperparameters: { n_epochs: 2, batch_size: 2, learning_rate_multiplier: 1 },
    });
    expect(job.method.supervised.hyperparameters).toEqual(job.hyperparameters);
    expect(job.id).toMatch(/^ftjob-/);
    expect(job.grades).toMatchObject({
      frozen_fraction: 0,
      steps_completed: 0,
      options: { enabled: true, tau: 0.001 },
    });
    expect(job.config).toMatchObject({ max_steps: 5, learning_rate: 2e-4 });

    const events = (await (await t.request(`/v1/fine_tuning/jobs/${job.id}/events`)).json()) as Record<
      string,
      any
    >;
    expect(events.data.map((e: { message: string }) => e.message)).toEqual([
      "Files validated, moving job to queued state",
      `Validating training file: ${trainingFile}`,
    ]);
    expect(events.data[0]).toMatchObject({ object: "fine_tuning.job.event", level: "info", type: "message" });
  });

  it("gives a job on the built-in model the learning-rate multiplier its config.json names for 'auto'", async () => {
    await ensureBuiltinModels({ db: t.db.db, storage: t.storage, logger: silentLogger() });
    const onBuiltin = (hyperparameters: Record<string, unknown>) =>
      postJson(t, "/v1/fine_tuning/jobs", {
        model: BUILTIN_MODEL_ALIAS,
        training_file: trainingFile,
        hyperparameters,
      }).then(
        (r) =>
          r.json() as Promise<{
            hyperparameters: { learning_rate_multiplier: number };
            config: { learning_rate: number };
          }>,
      );
    const auto = await onBuiltin({});
    const multiplier = BUILTIN_MODEL_TRAINING_DEFAULTS.learning_rate_multiplier;
    expect(auto.hyperparameters.learning_rate_multiplier).toBe(multiplier);
    expect(auto.config.learning_rate).toBeCloseTo(2e-4 * multiplier, 12);
    const given = await onBuiltin({ learning_rate_multiplier: 1 });
    expect(given.hyperparameters.learning_rate_multiplier).toBe(1);
    expect(given.config.learning_rate).toBeCloseTo(2e-4, 12);
  });

  it("takes the deprecated top-level hyperparameters too", async () => {
    const job = (await (
      await create({ hyperparameters: { n_epochs: 4, learning_rate_multiplier: 0.5 } })
    ).json()) as Record<string, any>;
    expect(job.hyperparameters).toMatchObject({ n_epochs: 4, learning_rate_multiplier: 0.5 });
    expect(job.config.learning_rate).toBeCloseTo(1e-4);
  });

  it.each([
    [
      { method: { type: "supervised", supervised: { hyperparameters: { n_epochs: 0 } } } },
      "method.supervised.hyperparameters.n_epochs",
    ],
    [
      { method: { type: "supervised", supervised: { hyperparameters: { batch_size: "big" } } } },
      "method.supervised.hyperparameters.batch_size",
    ],
    [{ hyperparameters: { learning_rate_multiplier: -1 } }, "hyperparameters.learning_rate_multiplier"],
    [{ method: { type: "dpo" } }, "method.type"],
    [{ lora: { r: 0 } }, "lora.r"],
    [{ lora: { target_modules: ["qkv"] } }, "lora.target_modules.0"],
    [{ lora: { rank: 8 } }, "lora.rank"],
    [{ grades: { alpha: 1.5 } }, "grades.alpha"],
    [{ grades: { metric: "loss" } }, "grades.metric"],
    [{ grades: { max_frozen_ratio: 0 } }, "grades.max_frozen_ratio"],
    [{ grades: { weight_average: 1 } }, "grades.weight_average"],
    [{ training_type: "qlora" }, "training_type"],
    [{ max_steps: 2.5 }, "max_steps"],
    [{ learning_rate: 0 }, "learning_rate"],
    [{ warmup_ratio: 1.5 }, "warmup_ratio"],
    [{ lr_scheduler: "step" }, "lr_scheduler"],
    [{ weight_decay: -0.1 }, "weight_decay"],
    [{ max_grad_norm: -1 }, "max_grad_norm"],
    [{ gradient_accumulation_steps: 0 }, "gradient_accumulation_steps"],
    [{ epoch_checkpoints: -1 }, "epoch_checkpoints"],
    [{ activation_cache_mb: -1 }, "activation_cache_mb"],
    [{ suffix: "has space" }, "suffix"],
    [{ seed: -3 }, "seed"],
    [{ colour: "blue" }, "colour"],
    [{ early_stopping: { patience: 2 } }, "early_stopping"],
    [{ model: "no-such-model" }, "model"],
    [{ training_file: "file-doesnotexist" }, "training_file"],
    [{ validation_file: "file-doesnotexist" }, "validation_file"],
  ])("rejects %j with a 400 naming %s", async (body, param) => {
    const before = await t.db.sql.query("select count(*)::int as n from fine_tuning_jobs");
    const res = await create(body);
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.param).toBe(param);
    expect(error.message.length).toBeGreaterThan(10);
    const after = await t.db.sql.query("select count(*)::int as n from fine_tuning_jobs");
    expect(after).toEqual(before);
  });

  it("stores the schedule, weight decay, clipping and accumulation a job sets, defaults for the rest", async () => {
    const res = await create({
      warmup_ratio: 0.1,
      lr_scheduler: "linear",
      weight_decay: 0.01,
      max_grad_norm: 0.5,
      gradient_accumulation_steps: 2,
    });
    expect(res.status).toBe(200);
    const job = (await res.json()) as { config: Record<string, unknown> };
    expect(job.config).toMatchObject({
      warmup_ratio: 0.1,
      lr_scheduler: "linear",
      weight_decay: 0.01,
      max_grad_norm: 0.5,
      gradient_accumulation_steps: 2,
      epoch_checkpoints: 3,
      lora: { dropout: 0 },
      grades: { tau: 1e-6, alpha: 0.5, relative_tau: 0.5, smoothing: 0.9, normalize: "mean" },
    });
  });

  it("words every bad field alike, in the body and in the query", async () => {
    const value = await errorOf(await create({ lora: { r: 0 } }));
    expect(value).toMatchObject({ param: "lora.r", code: "invalid_value" });
    expect(value.message).toMatch(/^Invalid value for 'lora\.r': /);
    const unknown = await errorOf(await create({ lora: { rank: 8 } }));
    expect(unknown).toEqual({
      message: "Unrecognized request argument supplied: lora.rank",
      type: "invalid_request_error",
      param: "lora.rank",
      code: "unknown_parameter",
    });
    const query = await errorOf(await t.request("/v1/fine_tuning/jobs?limit=0"));
    expect(query).toMatchObject({ param: "limit", code: "invalid_value" });
    expect(query.message).toMatch(/^Invalid value for 'limit' \(in query\): /);
    const file = await errorOf(await create({ training_file: "file-doesnotexist" }));
    expect(file).toMatchObject({ param: "training_file", code: "invalid_file" });
    expect(file.message).toBe("Invalid value for 'training_file': no such file 'file-doesnotexist'");
  });

  it("rejects a file uploaded for another purpose", async () => {
    const other = await uploadDataset(t, chatDataset(3), "assistants");
    const error = await errorOf(await create({ training_file: other }));
    expect(error).toMatchObject({ param: "training_file", code: "invalid_file_purpose" });
  });

  it("does not let another tenant use the file or see the job", async () => {
    const job = (await (await create({})).json()) as { id: string };
    const other = await t.addTenant("other-tenant");
    const res = await postJson(
      t,
      "/v1/fine_tuning/jobs",
      { model: "base-small", training_file: trainingFile },
      other.apiKey,
    );
    expect((await errorOf(res)).param).toBe("training_file");
    const get = await t.request(`/v1/fine_tuning/jobs/${job.id}`, {
      headers: { authorization: `Bearer ${other.apiKey}` },
    });
    expect(get.status).toBe(404);
  });
});

describe("tenant isolation and expired files", () => {
  it("answers 404 to another tenant on every job endpoint and leaves the job untouched", async () => {
    const job = (await (await create({})).json()) as { id: string };
    const other = await t.addTenant("isolation-other");
    const auth = { authorization: `Bearer ${other.apiKey}` };
    for (const [method, suffix] of [
      ["GET", ""],
      ["POST", "/cancel"],
      ["POST", "/pause"],
      ["POST", "/resume"],
      ["GET", "/events"],
      ["GET", "/checkpoints"],
      ["GET", "/grades"],
      ["GET", "/adapter"],
    ] as const) {
      const res = await t.request(`/v1/fine_tuning/jobs/${job.id}${suffix}`, { method, headers: auth });
      expect([suffix, res.status]).toEqual([suffix, 404]);
      expect((await errorOf(res)).message).toContain(job.id);
    }
    const list = (await (await t.request("/v1/fine_tuning/jobs", { headers: auth })).json()) as {
      data: unknown[];
    };
    expect(list.data).toEqual([]);
    const own = (await (await t.request(`/v1/fine_tuning/jobs/${job.id}`)).json()) as { status: string };
    expect(own.status).toBe("queued");
  });

  it("does not let a tenant fine-tune a base model another tenant registered", async () => {
    const owner = await t.addTenant("model-owner");
    await insertModel(t.db.db, {
      name: "private-base",
      owner: owner.tenantId,
      kind: "base",
      modelType: "qwen3",
      storagePrefix: `models/${owner.tenantId}/private-base/`,
      config: { model_type: "qwen3" },
      source: { type: "files" },
    });
    const error = await errorOf(await create({ model: "private-base" }));
    expect(error).toMatchObject({ param: "model", code: "model_not_found" });
  });

  it("refuses a training file that has expired", async () => {
    const expired = await uploadDataset(t, chatDataset(3));
    await t.db.sql.query("update files set expires_at = now() - interval '1 second' where id = $1", [
      expired,
    ]);
    const before = await t.db.sql.query("select count(*)::int as n from fine_tuning_jobs");
    const res = await create({ training_file: expired });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).param).toBe("training_file");
    expect(await t.db.sql.query("select count(*)::int as n from fine_tuning_jobs")).toEqual(before);
  });
});

describe("job lifecycle through the API", () => {
  it("cancels a queued job once, then answers 409", async () => {
    const job = (await (await create({})).json()) as { id: string };
    const res = await t.request(`/v1/fine_tuning/jobs/${job.id}/cancel`, { method: "POST" });
    expect(((await res.json()) as { status: string }).status).toBe("cancelled");
    const again = await t.request(`/v1/fine_tuning/jobs/${job.id}/cancel`, { method: "POST" });
    expect(again.status).toBe(409);
    const outbox = await t.db.sql.query<{ type: string }>(
      "select type from webhook_outbox where data ->> 'id' = $1 order by created_at, id",
      [job.id],
    );
    expect(outbox.map((r) => r.type)).toEqual([
      "fine_tuning.job.validating_files",
      "fine_tuning.job.queued",
      "fine_tuning.job.cancelled",
    ]);
  });

  it("pauses a queued job and resumes it", async () => {
    const job = (await (await create({})).json()) as { id: string };
    const paused = (await (
      await t.request(`/v1/fine_tuning/jobs/${job.id}/pause`, { method: "POST" })
    ).json()) as { status: string };
    expect(paused.status).toBe("paused");
    const resumed = (await (
      await t.request(`/v1/fine_tuning/jobs/${job.id}/resume`, { method: "POST" })
    ).json()) as { status: string };
    expect(resumed.status).toBe("queued");
    expect((await t.request(`/v1/fine_tuning/jobs/${job.id}/resume`, { method: "POST" })).status).toBe(409);
  });

  it("lists newest first with after/limit cursors and filters by metadata", async () => {
    const tag = `run-${Date.now()}`;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push(((await (await create({ metadata: { batch: tag } })).json()) as { id: string }).id);
    const page1 = (await (
      await t.request(`/v1/fine_tuning/jobs?limit=2&metadata[batch]=${tag}`)
    ).json()) as Record<string, any>;
    expect(page1.data.map((j: { id: string }) => j.id)).toEqual([ids[2], ids[1]]);
    expect(page1.has_more).toBe(true);
    const page2 = (await (
      await t.request(`/v1/fine_tuning/jobs?limit=2&metadata[batch]=${tag}&after=${ids[1]}`)
    ).json()) as Record<string, any>;
    expect(page2.data.map((j: { id: string }) => j.id)).toEqual([ids[0]]);
    expect(page2.has_more).toBe(false);
    const bad = await t.request("/v1/fine_tuning/jobs?limit=0");
    expect((await errorOf(bad)).param).toBe("limit");
  });

  it("refuses a metadata filter it cannot apply rather than listing jobs that do not match", async () => {
    await create({ metadata: { batch: "x" } });
    for (const query of [
      "metadata[]=x",
      "metadata%5B%ff%5D=x",
      "metadata[batch]=%ff",
      "metadata=x",
      `metadata[${"k".repeat(65)}]=x`,
      "metadata[batch]=x&metadata[batch]=y",
      "metadata[__proto__]=x",
    ]) {
      const res = await t.request(`/v1/fine_tuning/jobs?${query}`);
      expect([query, res.status]).toEqual([query, 400]);
      const error = await errorOf(res);
      expect(error.code).toBe("invalid_value");
      expect(error.message).toContain("(in query)");
    }
    // A key that needs percent-encoding is a filter like any other.
    await create({ metadata: { "a b/ç": "v w" } });
    const encoded = (await (
      await t.request(`/v1/fine_tuning/jobs?metadata%5Ba%20b%2F%C3%A7%5D=v+w`)
    ).json()) as { data: { metadata: Record<string, string> }[] };
    expect(encoded.data.length).toBe(1);
    expect(encoded.data[0]!.metadata).toEqual({ "a b/ç": "v w" });
  });

  it("stores metadata keys exactly as sent, and refuses __proto__ rather than dropping it", async () => {
    const keys = { constructor: "c", toString: "t", "": undefined, "\u00e9": "é" };
    const res = await t.request("/v1/fine_tuning/jobs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"model": "base-small", "training_file": "${trainingFile}", "metadata": {"__proto__": "x", "a": "b"}}`,
    });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ param: "metadata.__proto__", code: "invalid_value" });
    const { "": _, ...sent } = keys;
    const job = (await (await create({ metadata: sent })).json()) as { id: string; metadata: unknown };
    expect(job.metadata).toEqual(sent);
    const stored = (await (await t.request(`/v1/fine_tuning/jobs/${job.id}`)).json()) as {
      metadata: unknown;
    };
    expect(stored.metadata).toEqual(sent);
  });

  it("answers 409 for the adapter of a job that has not succeeded and 404 for an unknown job", async () => {
    const job = (await (await create({})).json()) as { id: string };
    expect((await t.request(`/v1/fine_tuning/jobs/${job.id}/adapter`)).status).toBe(409);
    expect((await t.request("/v1/fine_tuning/jobs/ftjob-nope/grades")).status).toBe(404);
    const grades = (await (await t.request(`/v1/fine_tuning/jobs/${job.id}/grades`)).json()) as Record<
      string,
      any
    >;
    expect(grades).toMatchObject({
      object: "fine_tuning.job.grades",
      fine_tuning_job_id: job.id,
      layers: [],
      history: [],
    });
  });
});

describe("the OpenAPI document", () => {
  it("describes every fine-tuning route", async () => {
    const doc = (await (await t.app.request("/openapi.json")).json()) as { paths: Record<string, unknown> };
    expect(
      Object.keys(doc.paths)
        .filter((p) => p.startsWith("/v1/fine_tuning"))
        .sort(),
    ).toEqual([
      "/v1/fine_tuning/jobs",
      "/v1/fine_tuning/jobs/{fine_tuning_job_id}",
      "/v1/fine_tuning/jobs/{fine_tuning_job_id}/adapter",
      "/v1/fine_tuning/jobs/{fine_tuning_job_id}/cancel",
      "/v1/fine_tuning/jobs/{fine_tuning_job_id}/checkpoints",
      "/v1/fine_tuning/jobs/{fine_tuning_job_id}/events",
      "/v1/fine_tuning/jobs/{fine_tuning_job_id}/grades",
      "/v1/fine_tuning/jobs/{fine_tuning_job_id}/grades/plot",
      "/v1/fine_tuning/jobs/{fine_tuning_job_id}/pause",
      "/v1/fine_tuning/jobs/{fine_tuning_job_id}/resume",
    ]);
  });
});

describe("the OpenAPI document's error responses", () => {
  it("documents the error body on every fine-tuning operation, with the statuses it answers", async () => {
    type Op = { responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }> };
    const doc = (await (await t.app.request("/openapi.json")).json()) as {
      paths: Record<string, Record<string, Op>>;
    };
    const statuses: Record<string, string[]> = {};
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (!path.startsWith("/v1/fine_tuning")) continue;
      for (const [method, op] of Object.entries(ops)) {
        const errors = Object.entries(op.responses).filter(([s]) => s.startsWith("4"));
        for (const [, r] of errors)
          expect(r.content?.["application/json"]?.schema.$ref).toBe("#/components/schemas/Error");
        statuses[`${method} ${path.slice("/v1/fine_tuning/jobs".length) || "/"}`] = errors
          .map(([s]) => s)
          .sort();
      }
    }
    expect(statuses).toEqual({
      "post /": ["400", "401", "409", "413", "422", "429"],
      "get /": ["400", "401", "429"],
      "get /{fine_tuning_job_id}": ["401", "404", "429"],
      "post /{fine_tuning_job_id}/cancel": ["401", "404", "409", "429"],
      "post /{fine_tuning_job_id}/pause": ["401", "404", "409", "429"],
      "post /{fine_tuning_job_id}/resume": ["401", "404", "409", "429"],
      "get /{fine_tuning_job_id}/events": ["400", "401", "404", "429"],
      "get /{fine_tuning_job_id}/checkpoints": ["400", "401", "404", "429"],
      "get /{fine_tuning_job_id}/grades": ["401", "404", "429"],
      "get /{fine_tuning_job_id}/grades/plot": ["401", "404", "429"],
      "get /{fine_tuning_job_id}/adapter": ["401", "404", "409", "429"],
    });
  });
});

describe("the official openai client", () => {
  let server: ReturnType<typeof serve>;
  let client: OpenAI;

  beforeAll(async () => {
    await new Promise<void>((resolve) => {
      server = serve({ fetch: t.app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    client = new OpenAI({ apiKey: t.apiKey, baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it("creates, retrieves, lists (async iteration over pages), lists events and checkpoints, and cancels", async () => {
    const job = await client.fineTuning.jobs.create({
      model: "base-small",
      training_file: trainingFile,
      method: { type: "supervised", supervised: { hyperparameters: { n_epochs: 1 } } },
      metadata: { via: "openai-sdk" },
    });
    expect(job.status).toBe("queued");
    expect((await client.fineTuning.jobs.retrieve(job.id)).id).toBe(job.id);

    const seen: string[] = [];
    for await (const j of client.fineTuning.jobs.list({ limit: 2 })) seen.push(j.id);
    const total = await t.db.sql.query<{ n: number }>(
      "select count(*)::int as n from fine_tuning_jobs where tenant_id = $1",
      [t.tenantId],
    );
    expect(seen).toHaveLength(total[0]!.n);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen[0]).toBe(job.id);

    const events: string[] = [];
    for await (const e of client.fineTuning.jobs.listEvents(job.id, { limit: 1 })) events.push(e.message);
    expect(events).toEqual([
      "Files validated, moving job to queued state",
      `Validating training file: ${trainingFile}`,
    ]);

    const checkpoints = await client.fineTuning.jobs.checkpoints.list(job.id);
    expect(checkpoints.data).toEqual([]);

    const paused = await client.fineTuning.jobs.pause(job.id);
    expect(paused.status).toBe("paused");
    expect((await client.fineTuning.jobs.resume(job.id)).status).toBe("queued");
    const cancelled = await client.fineTuning.jobs.cancel(job.id);
    expect(cancelled.status).toBe("cancelled");
  });

  it("gets a ConflictError at once for a finished job, without the client's retries", async () => {
    let calls = 0;
    const retrying = new OpenAI({
      apiKey: t.apiKey,
      baseURL: client.baseURL,
      maxRetries: 2,
      fetch: (url, init) => {
        calls++;
        return fetch(url, init);
      },
    });
    const job = await retrying.fineTuning.jobs.create({ model: "base-small", training_file: trainingFile });
    await retrying.fineTuning.jobs.cancel(job.id);
    calls = 0;
    const again = await retrying.fineTuning.jobs.cancel(job.id).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(OpenAI.ConflictError);
    expect(calls).toBe(1);
  });

  it("raises the client's error classes with the server's param", async () => {
    const bad = await client.fineTuning.jobs
      .create({ model: "base-small", training_file: trainingFile, hyperparameters: { n_epochs: 0 } })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("hyperparameters.n_epochs");
    const missing = await client.fineTuning.jobs.retrieve("ftjob-missing").catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    const noModel = await client.fineTuning.jobs
      .create({ model: "nope", training_file: trainingFile })
      .catch((e: unknown) => e);
    expect((noModel as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("model");
  });
});
