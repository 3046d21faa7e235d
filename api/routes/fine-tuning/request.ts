// The body of POST /v1/fine_tuning/jobs: OpenAI's fields plus our extensions. The training options (their
// types, bounds and descriptions) are the engine's schema; every bad value becomes a 400 whose `param` is the
// path of the field (`method.supervised.hyperparameters.n_epochs`, see ../../invalid-field.ts).
import { z } from "@hono/zod-openapi";
import {
  EarlyStoppingInput,
  GradesInput,
  HyperparametersInput,
  LoraInput,
  topLevelInputFields,
} from "../../../worker/engine/index.ts";
import { clientRecord } from "../../record-keys.ts";

/** A metadata key, in a job's body and in the list's `metadata[key]` filter: OpenAI's 64 characters. */
export const METADATA_KEY = z.string().min(1).max(64);

/**
 * An engine input section as a named OpenAPI component. Rebuilt from its fields: zod copies methods onto a schema
 * when it is built, and the engine's schemas may be built before `.openapi` exists.
 */
const named = (section: { shape: z.ZodRawShape }, id: string) => z.object(section.shape).strict().openapi(id);

export const Hyperparameters = named(HyperparametersInput, "FineTuningHyperparameters");
export const CreateJobBody = z
  .object({
    model: z.string().min(1),
    training_file: z.string().min(1),
    validation_file: z.string().min(1).nullish(),
    suffix: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9_.-]+$/, "may only contain letters, digits, '_', '-' and '.'")
      .nullish(),
    seed: z.number().int().min(0).max(2_147_483_647).nullish(),
    metadata: clientRecord(METADATA_KEY, z.string().max(512))
      .refine((m) => Object.keys(m).length <= 16, "at most 16 keys")
      .nullish(),
    /** Deprecated by OpenAI in favour of method.supervised.hyperparameters; still accepted. */
    hyperparameters: Hyperparameters.optional(),
    method: z
      .object({
        type: z.literal("supervised"),
        supervised: z.object({ hyperparameters: Hyperparameters.optional() }).strict().optional(),
      })
      .strict()
      .optional(),
    integrations: z.array(z.unknown()).max(0, "integrations are not supported").nullish(),
    ...topLevelInputFields,
    lora: named(LoraInput, "LoraOptions").optional(),
    grades: named(GradesInput, "GradesOptions").optional(),
    early_stopping: named(EarlyStoppingInput, "EarlyStoppingOptions").nullish(),
  })
  .strict()
  .openapi("CreateFineTuningJobRequest");

export type CreateJobBody = z.infer<typeof CreateJobBody>;
