// /v1/models: the base models a tenant can fine-tune (built-in and registered) and its fine-tuned models.
import { createRoute, z } from "@hono/zod-openapi";
import { deleteModel, findModel, listModels, SYSTEM_OWNER } from "../../../db/models.ts";
import { ApiError, errorResponses } from "../../errors.ts";
import { commitCreate } from "../../idempotency/commit.ts";
import { idempotentCreate } from "../../idempotency/middleware.ts";
import { listSchema, toPage } from "../../pagination.ts";
import { newRouter } from "../../router.ts";
import { registerModel } from "./register.ts";
import { ModelObject, modelObject, RegisterModelBody } from "./schemas.ts";

const ModelIdParam = z.object({ model: z.string().openapi({ param: { name: "model", in: "path" } }) });

const listRoute = createRoute({
  method: "get",
  path: "/models",
  summary: "List models",
  tags: ["Models"],
  responses: {
    ...errorResponses(),
    200: {
      description: "Every model the tenant can use",
      content: {
        "application/json": {
          schema: listSchema(ModelObject, "ModelList"),
        },
      },
    },
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/models/{model}",
  summary: "Retrieve a model",
  tags: ["Models"],
  request: { params: ModelIdParam },
  responses: {
    ...errorResponses(404),
    200: { description: "The model", content: { "application/json": { schema: ModelObject } } },
  },
});

const registerRoute = createRoute({
  method: "post",
  path: "/models",
  summary: "Register a base model (extension)",
  description:
    "From uploaded Hugging Face files or an S3 prefix. The folder is validated (config.json, supported architecture, " +
    "every weight with its shape, tokenizer files) before the model is accepted.",
  tags: ["Models"],
  request: { body: { required: true, content: { "application/json": { schema: RegisterModelBody } } } },
  ...idempotentCreate({ body: "json" }),
  responses: {
    ...errorResponses(400, 404, 409, 422),
    200: { description: "The registered model", content: { "application/json": { schema: ModelObject } } },
  },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/models/{model}",
  summary: "Delete one of the tenant's models",
  tags: ["Models"],
  request: { params: ModelIdParam },
  responses: {
    ...errorResponses(403, 404),
    200: {
      description: "Deleted",
      content: {
        "application/json": {
          schema: z
            .object({ id: z.string(), object: z.literal("model"), deleted: z.boolean() })
            .openapi("ModelDeleted"),
        },
      },
    },
  },
});

export const modelsRoutes = newRouter()
  .openapi(listRoute, async (c) => {
    const rows = await listModels(c.var.deps.db.db, c.var.tenant.id);
    // Every model in one page (as OpenAI's list), in the one list shape of this API.
    return c.json(
      toPage(rows, rows.length, (r) => modelObject(r, c.var.tenant.name)),
      200,
    );
  })
  .openapi(getRoute, async (c) => {
    const { model } = c.req.valid("param");
    const row = await findModel(c.var.deps.db.db, c.var.tenant.id, model);
    if (!row)
      throw new ApiError(404, `The model '${model}' does not exist`, {
        param: "model",
        code: "model_not_found",
      });
    return c.json(modelObject(row, c.var.tenant.name), 200);
  })
  .openapi(registerRoute, async (c) => {
    const tenant = c.var.tenant;
    const model = await registerModel(c.var.deps, tenant, c.req.valid("json"), (insert) =>
      commitCreate(c, async (tx) => modelObject(await insert(tx.db), tenant.name)),
    );
    c.var.log.info({ model: model.id, type: model.model_type }, "model registered");
    return c.json(model, 200);
  })
  .openapi(deleteRoute, async (c) => {
    const { model } = c.req.valid("param");
    const db = c.var.deps.db.db;
    const row = await findModel(db, c.var.tenant.id, model);
    if (!row)
      throw new ApiError(404, `The model '${model}' does not exist`, {
        param: "model",
        code: "model_not_found",
      });
    if (row.owner === SYSTEM_OWNER) {
      throw new ApiError(403, `The built-in model '${model}' cannot be deleted`, {
        param: "model",
        code: "forbidden",
      });
    }
    await deleteModel(db, c.var.tenant.id, row.id);
    await c.var.deps.storage.deletePrefix(row.storagePrefix);
    return c.json({ id: model, object: "model" as const, deleted: true }, 200);
  });
