import { z } from "@hono/zod-openapi";
import type { ModelRow } from "../../../db/schema/models.ts";
import { MODEL_KINDS, SYSTEM_OWNER } from "../../../db/schema/models.ts";
import { clientRecord } from "../../record-keys.ts";
import { unixSeconds } from "../files/schemas.ts";

export const ModelObject = z
  .object({
    id: z.string().openapi({ example: "demo-tiny" }),
    object: z.literal("model"),
    created: z.number().int(),
    owned_by: z.string(),
    kind: z.enum(MODEL_KINDS).openapi({ description: "Extension: base or fine-tuned" }),
    model_type: z
      .string()
      .openapi({ description: "Extension: Hugging Face model_type (qwen3, qwen2, llama, mistral)" }),
    parent: z.string().nullable().openapi({ description: "Extension: the base model of a fine-tuned model" }),
  })
  .openapi("Model");

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export const RegisterModelBody = z
  .object({
    id: z
      .string()
      .regex(MODEL_NAME, "must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit")
      .openapi({ example: "my-qwen3-0.6b" }),
    source: z
      .discriminatedUnion("type", [
        z
          .object({
            type: z.literal("files"),
            files: clientRecord(z.string(), z.string().min(1)).openapi({
              description: "Hugging Face file name → id of an uploaded file",
              example: { "config.json": "file-abc" },
            }),
          })
          .strict(),
        z
          .object({
            type: z.literal("s3"),
            uri: z.string().regex(/^s3:\/\/[^/]+\/.*$/, "must look like s3://bucket/prefix/"),
          })
          .strict(),
      ])
      .openapi({ description: "Where the Hugging Face files are" }),
  })
  .strict()
  .openapi("RegisterModel");

export function modelObject(row: ModelRow, tenantName: string): z.infer<typeof ModelObject> {
  return {
    id: row.name,
    object: "model",
    created: unixSeconds(row.createdAt),
    owned_by: row.owner === SYSTEM_OWNER ? SYSTEM_OWNER : tenantName,
    kind: row.kind,
    model_type: row.modelType,
    parent: row.parent,
  };
}
