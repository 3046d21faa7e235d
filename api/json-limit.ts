// Request bodies other than the two multipart upload routes (a job request, an upload's part list, a model
// registration) are small JSON documents that handlers buffer whole: a larger one is a mistake, answered 413
// before it is read into memory. The upload routes stream to storage under their own limits (api/multipart.ts).

import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./env.ts";
import { malformedJson, notJson } from "./errors.ts";

/** 1 MiB: far above any valid request (a job request with 16 metadata pairs is a few kB). */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;

const limit = bodyLimit({ maxSize: MAX_JSON_BODY_BYTES });

/** Routes that stream their body (and answer 415 to anything but multipart without reading it). */
const STREAMING = /^\/v1\/(files|uploads\/[^/]+\/parts)\/?$/;

export const limitJsonBodies = createMiddleware<AppEnv>(async (c, next) => {
  // By route, not by Content-Type: a client could label any body multipart.
  if (STREAMING.test(c.req.path)) return next();
  return limit(c, next);
});

/** The media types Hono's validator takes as JSON (application/json, application/*+json). */
const JSON_TYPE = /^application\/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i;

/** A JSON body read by a handler itself (not through a route's validator), under the validator's rules. */
export async function readJsonBody(c: Context): Promise<unknown> {
  if (!JSON_TYPE.test(c.req.header("content-type") ?? "")) throw notJson();
  try {
    return await c.req.json();
  } catch {
    throw malformedJson();
  }
}
