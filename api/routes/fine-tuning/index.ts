// /v1/fine_tuning/jobs: create, list, retrieve, cancel, pause, resume, events, checkpoints, and our GradES view
// and adapter download. Shapes follow OpenAI's API so its official client works unchanged.
import { Readable } from "node:stream";
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { findModel } from "../../../db/models.ts";
import { cancel, requestPause, resume } from "../../../db/queue/queue.ts";
import { getJob, listCheckpoints, listEvents, listJobs } from "../../../db/queue/reads.ts";
import type { AppEnv } from "../../env.ts";
import { ApiError, errorResponses } from "../../errors.ts";
import { IDEMPOTENCY_STATUSES, idempotentCreate } from "../../idempotency/middleware.ts";
import { invalidValue } from "../../invalid-field.ts";
import { listQuery, listSchema, toPage } from "../../pagination.ts";
import { jsonResponse } from "../../responses.ts";
import { newRouter } from "../../router.ts";
import { tarGzObjects } from "./archive.ts";
import { createJob } from "./create.ts";
import { gradesPlotResponse } from "./grades-plot.ts";
import {
  CheckpointObject,
  checkpointObject,
  EventObject,
  type EventRow,
  eventObject,
  gradesView,
  JobObject,
  jobObject,
  progressOf,
} from "./objects.ts";
import { CreateJobBody, METADATA_KEY } from "./request.ts";

const JobIdParam = z.object({
  fine_tuning_job_id: z.string().openapi({ param: { name: "fine_tuning_job_id", in: "path" } }),
});
const tags = ["Fine-tuning"];
const createIdempotency = idempotentCreate({ body: "json" });

const createDoc = createRoute({
  method: "post",
  path: "/fine_tuning/jobs",
  summary: "Create a fine-tuning job",
  tags,
  request: { body: { required: true, content: { "application/json": { schema: CreateJobBody } } } },
  parameters: createIdempotency.parameters,
  responses: {
    ...jsonResponse(JobObject, "The created job"),
    ...errorResponses(400, 413, ...IDEMPOTENCY_STATUSES),
  },
});
const listRoute = createRoute({
  method: "get",
  path: "/fine_tuning/jobs",
  summary: "List fine-tuning jobs (newest first); filter with metadata[key]=value",
  tags,
  request: { query: listQuery(20, 100) },
  responses: {
    ...jsonResponse(listSchema(JobObject, "FineTuningJobList"), "A page of jobs"),
    ...errorResponses(400),
  },
});
const getRoute = createRoute({
  method: "get",
  path: "/fine_tuning/jobs/{fine_tuning_job_id}",
  summary: "Retrieve a fine-tuning job",
  tags,
  request: { params: JobIdParam },
  responses: { ...jsonResponse(JobObject, "The job"), ...errorResponses(404) },
});
const action = (name: "cancel" | "pause" | "resume", summary: string) =>
  createRoute({
    method: "post",
    path: `/fine_tuning/jobs/{fine_tuning_job_id}/${name}`,
    summary,
    tags,
    request: { params: JobIdParam },
    responses: { ...jsonResponse(JobObject, "The job"), ...errorResponses(404, 409) },
  });
const cancelRoute = action("cancel", "Cancel a job; a running job stops within seconds");
const pauseRoute = action(
  "pause",
  "Pause a job; a running job checkpoints first (pause_requested until then)",
);
const resumeRoute = action("resume", "Resume a paused job from its latest checkpoint");
const eventsRoute = createRoute({
  method: "get",
  path: "/fine_tuning/jobs/{fine_tuning_job_id}/events",
  summary: "List a job's events (newest first), including `metrics` events",
  tags,
  request: { params: JobIdParam, query: listQuery(20, 1000) },
  responses: {
    ...jsonResponse(listSchema(EventObject, "FineTuningJobEventList"), "A page of events"),
    ...errorResponses(400, 404),
  },
});
const checkpointsRoute = createRoute({
  method: "get",
  path: "/fine_tuning/jobs/{fine_tuning_job_id}/checkpoints",
  summary: "List a job's checkpoints (latest step first)",
  tags,
  request: { params: JobIdParam, query: listQuery(10, 100) },
  responses: {
    ...jsonResponse(listSchema(CheckpointObject, "FineTuningJobCheckpointList"), "A page of checkpoints"),
    ...errorResponses(400, 404),
  },
});
const gradesRoute = createRoute({
  method: "get",
  path: "/fine_tuning/jobs/{fine_tuning_job_id}/grades",
  summary: "GradES freeze map (layer × matrix: frozen step, latest G) and metric history",
  tags,
  request: { params: JobIdParam },
  responses: {
    ...jsonResponse(z.record(z.string(), z.unknown()).openapi("FineTuningJobGrades"), "The freeze map"),
    ...errorResponses(404),
  },
});
const gradesPlotRoute = createRoute({
  method: "get",
  path: "/fine_tuning/jobs/{fine_tuning_job_id}/grades/plot",
  summary:
    "The freeze map as an SVG picture: freeze timeline, frozen fraction and G per matrix over the steps",
  tags,
  request: { params: JobIdParam },
  responses: {
    200: { description: "An SVG document", content: { "image/svg+xml": { schema: z.string() } } },
    ...errorResponses(404),
  },
});
const adapterRoute = createRoute({
  method: "get",
  path: "/fine_tuning/jobs/{fine_tuning_job_id}/adapter",
  summary: "Download the trained adapter (or model) folder as one .tar.gz",
  tags,
  request: { params: JobIdParam },
  responses: {
    200: {
      description: "A gzipped tar archive",
      content: { "application/gzip": { schema: z.string().openapi({ format: "binary" }) } },
    },
    ...errorResponses(404, 409),
  },
});

async function ownJob(c: Context<AppEnv>, id: string) {
  const job = await getJob(c.var.deps.db.sql, c.var.tenant.id, id);
  if (!job) throw ApiError.notFound("fine-tuning job", id, "fine_tuning_job_id");
  return job;
}

function conflict(message: string): ApiError {
  return new ApiError(409, message, { code: "invalid_job_state" });
}

/**
 * OpenAI's list filter, `metadata[key]=value`, read from the raw query so that no filter is dropped unseen: a
 * parameter that starts with `metadata` but is not one well-formed filter (`metadata[]`, a key that does not
 * decode, a key given twice) is a 400 rather than a list that ignores it.
 */
function metadataFilter(c: Context<AppEnv>): Record<string, string> | undefined {
  const out = new Map<string, string>();
  for (const pair of new URL(c.req.url).search.slice(1).split("&")) {
    const eq = pair.indexOf("=");
    const rawName = eq === -1 ? pair : pair.slice(0, eq);
    if (!/^metadata(\[|%5B|$)/i.test(rawName)) continue;
    const name = decodeQueryPart(rawName);
    const value = decodeQueryPart(eq === -1 ? "" : pair.slice(eq + 1), name);
    const key = /^metadata\[(.*)\]$/s.exec(name ?? "")?.[1];
    const checked = key === undefined || key === "__proto__" ? undefined : METADATA_KEY.safeParse(key);
    if (!name || !checked?.success) {
      throw invalidValue(
        name ?? rawName,
        "a metadata filter is metadata[key]=value with a key of 1 to 64 characters",
        { where: " (in query)" },
      );
    }
    if (out.has(checked.data)) throw invalidValue(name, "is given more than once", { where: " (in query)" });
    out.set(checked.data, value ?? "");
  }
  return out.size > 0 ? Object.fromEntries(out) : undefined;
}

/** A query string's name or value, decoded; undefined for a name that is not UTF-8 percent-encoding. */
function decodeQueryPart(raw: string, name?: string): string | undefined {
  try {
    return decodeURIComponent(raw.replace(/\+/g, " "));
  } catch {
    if (name === undefined) return undefined;
    throw invalidValue(name, "is not valid percent-encoded UTF-8", { where: " (in query)" });
  }
}

const router = newRouter();
router.openAPIRegistry.registerPath(createDoc);
router.post("/fine_tuning/jobs", createIdempotency.middleware, createJob);

export const fineTuningRoutes = router
  .openapi(listRoute, async (c) => {
    const { after, limit } = c.req.valid("query");
    const rows = await listJobs(c.var.deps.db.sql, c.var.tenant.id, {
      after,
      limit,
      metadata: metadataFilter(c),
    });
    return c.json(toPage(rows, limit, jobObject), 200);
  })
  .openapi(getRoute, async (c) => {
    return c.json(jobObject(await ownJob(c, c.req.valid("param").fine_tuning_job_id)), 200);
  })
  .openapi(cancelRoute, async (c) => {
    const id = c.req.valid("param").fine_tuning_job_id;
    const job = await ownJob(c, id);
    const moved = await cancel(c.var.deps.db.sql, id, c.var.tenant.id);
    if (!moved)
      throw conflict(`Job ${id} has already finished (status ${job.status}) and cannot be cancelled`);
    return c.json(jobObject(moved), 200);
  })
  .openapi(pauseRoute, async (c) => {
    const id = c.req.valid("param").fine_tuning_job_id;
    const job = await ownJob(c, id);
    if (job.status === "paused") return c.json(jobObject(job), 200);
    const moved = await requestPause(c.var.deps.db.sql, id, c.var.tenant.id);
    if (!moved) throw conflict(`Job ${id} is ${job.status} and cannot be paused`);
    return c.json(jobObject(moved), 200);
  })
  .openapi(resumeRoute, async (c) => {
    const id = c.req.valid("param").fine_tuning_job_id;
    const job = await ownJob(c, id);
    const moved = await resume(c.var.deps.db.sql, id, c.var.tenant.id);
    if (!moved) throw conflict(`Job ${id} is ${job.status}, not paused, and cannot be resumed`);
    return c.json(jobObject(moved), 200);
  })
  .openapi(eventsRoute, async (c) => {
    const id = c.req.valid("param").fine_tuning_job_id;
    const { after, limit } = c.req.valid("query");
    await ownJob(c, id);
    const rows = (await listEvents(c.var.deps.db.sql, id, { after, limit })) as unknown as EventRow[];
    return c.json(toPage(rows, limit, eventObject), 200);
  })
  .openapi(checkpointsRoute, async (c) => {
    const id = c.req.valid("param").fine_tuning_job_id;
    const { after, limit } = c.req.valid("query");
    const job = await ownJob(c, id);
    const rows = await listCheckpoints(c.var.deps.db.sql, id, { after, limit });
    return c.json(
      toPage(rows, limit, (r) => checkpointObject(job, r)),
      200,
    );
  })
  .openapi(gradesRoute, async (c) => {
    const job = await ownJob(c, c.req.valid("param").fine_tuning_job_id);
    return c.json(gradesView(job) as unknown as Record<string, unknown>, 200);
  })
  .openapi(gradesPlotRoute, async (c) => {
    const job = await ownJob(c, c.req.valid("param").fine_tuning_job_id);
    return gradesPlotResponse(progressOf(job));
  })
  .openapi(adapterRoute, async (c) => {
    const id = c.req.valid("param").fine_tuning_job_id;
    const job = await ownJob(c, id);
    if (job.status !== "succeeded") {
      throw conflict(`Job ${id} is ${job.status}: its adapter exists once it has succeeded`);
    }
    const storage = c.var.deps.storage;
    // The fine-tuned model's folder is the succeeded run's output.
    const model = job.fineTunedModel
      ? await findModel(c.var.deps.db.db, job.tenantId, job.fineTunedModel)
      : null;
    if (!model) throw ApiError.notFound("adapter for job", id, "fine_tuning_job_id");
    const prefix = model.storagePrefix;
    const objects = await storage.list(prefix);
    if (objects.length === 0) throw ApiError.notFound("adapter for job", id, "fine_tuning_job_id");
    const archive = tarGzObjects(storage, prefix, objects, `${id}-adapter`);
    return new Response(Readable.toWeb(archive) as ReadableStream, {
      status: 200,
      headers: {
        "content-type": "application/gzip",
        "content-disposition": `attachment; filename="${id}-adapter.tar.gz"`,
      },
    });
  });
