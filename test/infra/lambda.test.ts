// The API as an AWS Lambda function: infra/lambda.ts's handler answers API Gateway (HTTP API, payload 2.0)
// events with the same app, on real Postgres and the S3 protocol (s3rver).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate, openDatabase } from "../../db/client.ts";
import { createApiKey } from "../../db/keys.ts";
import { httpEvent, lambdaContext } from "../support/lambda-event.ts";
import { createTestDatabase, type TestDatabase, testDatabaseUrl } from "../support/postgres.ts";
import { startTestS3, type TestS3 } from "../support/s3.ts";

describe.skipIf(!testDatabaseUrl())("the API on AWS Lambda", () => {
  let database: TestDatabase;
  let s3: TestS3;
  let key: string;
  let handler: typeof import("../../infra/lambda.ts").handler;

  beforeAll(async () => {
    database = await createTestDatabase();
    const db = await openDatabase({ databaseUrl: database.url });
    await migrate(db);
    key = (await createApiKey(db.db, "lambda-tenant")).key;
    await db.close();
    s3 = await startTestS3("grades-lambda");
    // The handler reads its configuration from the function's environment, as Lambda provides it.
    Object.assign(process.env, {
      DATABASE_URL: database.url,
      S3_BUCKET: s3.bucket,
      S3_ENDPOINT: s3.endpoint,
      AWS_ACCESS_KEY_ID: "S3RVER",
      AWS_SECRET_ACCESS_KEY: "S3RVER",
      LOG_LEVEL: "silent",
    });
    ({ handler } = await import("../../infra/lambda.ts"));
  });

  afterAll(async () => {
    await s3?.close();
    await database?.drop();
  });

  it("answers an authenticated list request with the OpenAI list shape", async () => {
    const res = await handler(
      httpEvent("GET", "/v1/files?limit=5", { authorization: `Bearer ${key}` }) as never,
      lambdaContext as never,
    );
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body as string);
    expect(body).toMatchObject({ object: "list", data: [], has_more: false });
  });

  it("answers a request without a key with the one error shape", async () => {
    const res = await handler(httpEvent("GET", "/v1/models", {}) as never, lambdaContext as never);
    expect(res.statusCode).toBe(401);
    expect(JSON.parse(res.body as string)).toEqual({
      error: expect.objectContaining({ type: "invalid_request_error", code: "missing_api_key", param: null }),
    });
  });

  it("reports database and storage reachable on /health", async () => {
    const res = await handler(httpEvent("GET", "/health", {}) as never, lambdaContext as never);
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body as string)).toMatchObject({ status: "ok", database: "ok", storage: "ok" });
  });
});
