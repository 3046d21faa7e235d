// The API on AWS Lambda (behind API Gateway or a function URL): the same app, built once per container on the
// first request. Run `npm run migrate` (and one `npm run api` or start-up, for the demo model) beforehand; the
// function itself neither migrates nor writes the demo model, so cold starts stay short.
import type { LambdaContext, LambdaEvent } from "hono/aws-lambda";
import { handle } from "hono/aws-lambda";
import { createApp } from "../api/index.ts";
import { loadConfig } from "../common/config.ts";
import { createLogger } from "../common/logger.ts";
import { openDatabase } from "../db/client.ts";
import { openStorage } from "../db/storage/index.ts";

type Handler = ReturnType<typeof handle>;
let ready: Promise<Handler> | undefined;

async function build(): Promise<Handler> {
  const config = loadConfig();
  if (!config.databaseUrl || !config.s3)
    throw new Error("on Lambda, DATABASE_URL and S3_BUCKET are required");
  const logger = createLogger(config, "grades-lambda");
  // One connection per container: Lambda runs one request at a time per container.
  const db = await openDatabase({ databaseUrl: config.databaseUrl, maxConnections: 1 });
  return handle(createApp({ config, db, storage: openStorage(config), logger }));
}

export async function handler(event: LambdaEvent, context: LambdaContext) {
  ready ??= build().catch((err) => {
    ready = undefined;
    throw err;
  });
  return (await ready)(event, context);
}
