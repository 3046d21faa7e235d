// Reads a PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors) onto a model: the same
// format the trainer exports, so adapters round-trip with PEFT and vLLM.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { InputError } from "../errors.ts";
import { readSafetensors } from "../io/safetensors.ts";
import { type DecoderModel, projectionModulePath } from "./causal-lm.ts";
import { type LoraOptions, PROJECTIONS, type Projection } from "./types.ts";
import { projectionShape } from "./weights.ts";

export class AdapterLoadError extends InputError {
  override name = "AdapterLoadError";
  constructor(
    message: string,
    readonly key?: string,
  ) {
    super(message);
  }
}

export interface PeftAdapterConfig {
  r: number;
  lora_alpha: number;
  lora_dropout: number;
  target_modules: Projection[];
  use_rslora: boolean;
}

/** The PEFT tensor name of a module's LoRA factor. */
export function peftTensorName(modulePath: string, factor: "lora_A" | "lora_B"): string {
  return `base_model.model.${modulePath}.${factor}.weight`;
}

/** Parses and checks adapter_config.json; rejects PEFT features this engine does not implement. */
export function parseAdapterConfig(raw: unknown): PeftAdapterConfig {
  if (raw === null || typeof raw !== "object")
    throw new AdapterLoadError("adapter_config.json: not a JSON object");
  const r = raw as Record<string, unknown>;
  const fail = (field: string, msg: string): never => {
    throw new AdapterLoadError(`adapter_config.json: ${field}: ${msg}`, field);
  };
  if (r.peft_type !== undefined && r.peft_type !== "LORA")
    fail("peft_type", `${JSON.stringify(r.peft_type)} is not LORA`);
  if (typeof r.r !== "number" || !Number.isInteger(r.r) || r.r <= 0) fail("r", "must be a positive integer");
  if (typeof r.lora_alpha !== "number" || !(r.lora_alpha > 0))
    fail("lora_alpha", "must be a positive number");
  let targets = r.target_modules;
  if (typeof targets === "string") targets = [targets];
  if (!Array.isArray(targets) || targets.length === 0) fail("target_modules", "must be a non-empty list");
  for (const t of targets as unknown[]) {
    if (!PROJECTIONS.includes(t as Projection)) {
      fail("target_modules", `${JSON.stringify(t)} is not one of ${PROJECTIONS.join(", ")}`);
    }
  }
  if (r.fan_in_fan_out === true) fail("fan_in_fan_out", "true is not supported");
  if (r.bias !== undefined && r.bias !== "none")
    fail("bias", `${JSON.stringify(r.bias)} is not supported (only none)`);
  for (const field of ["rank_pattern", "alpha_pattern"]) {
    const v = r[field];
    if (v && typeof v === "object" && Object.keys(v).length > 0)
      fail(field, "per-module ranks are not supported");
  }
  if (r.modules_to_save && Array.isArray(r.modules_to_save) && r.modules_to_save.length > 0) {
    fail("modules_to_save", "not supported");
  }
  if (r.layers_to_transform !== undefined && r.layers_to_transform !== null) {
    fail("layers_to_transform", "not supported");
  }
  const order = (targets as Projection[])
    .slice()
    .sort((a, b) => PROJECTIONS.indexOf(a) - PROJECTIONS.indexOf(b));
  return {
    r: r.r as number,
    lora_alpha: r.lora_alpha as number,
    lora_dropout: typeof r.lora_dropout === "number" ? r.lora_dropout : 0,
    target_modules: [...new Set(order)],
    use_rslora: r.use_rslora === true,
  };
}

export async function readAdapterConfig(dir: string): Promise<PeftAdapterConfig> {
  let text: string;
  try {
    text = await readFile(join(dir, "adapter_config.json"), "utf8");
  } catch {
    throw new AdapterLoadError("the adapter folder has no adapter_config.json");
  }
  try {
    return parseAdapterConfig(JSON.parse(text));
  } catch (err) {
    if (err instanceof AdapterLoadError) throw err;
    throw new AdapterLoadError(`adapter_config.json is not valid JSON (${(err as Error).message})`);
  }
}

/**
 * Applies the adapter in `dir` to `model` (which must have no LoRA yet): checks every expected tensor name
 * and shape, naming the wrong, missing or unexpected one, then sets A and B.
 */
export async function loadPeftAdapter(
  model: DecoderModel,
  dir: string,
  seed = 0,
): Promise<PeftAdapterConfig> {
  const acfg = await readAdapterConfig(dir);
  let tensors: Awaited<ReturnType<typeof readSafetensors>>;
  try {
    tensors = await readSafetensors(join(dir, "adapter_model.safetensors"));
  } catch (err) {
    throw new AdapterLoadError(`adapter_model.safetensors: ${(err as Error).message}`);
  }
  const cfg = model.config;
  const expected = new Map<string, number[]>();
  for (let layer = 0; layer < cfg.num_hidden_layers; layer++) {
    for (const proj of acfg.target_modules) {
      const path = projectionModulePath(layer, proj);
      const [out, inp] = projectionShape(cfg, proj);
      expected.set(peftTensorName(path, "lora_A"), [acfg.r, inp]);
      expected.set(peftTensorName(path, "lora_B"), [out, acfg.r]);
    }
  }
  for (const [name, shape] of expected) {
    const t = tensors.get(name);
    if (!t)
      throw new AdapterLoadError(
        `adapter tensor ${name} is missing (expected shape [${shape.join(", ")}])`,
        name,
      );
    if (t.shape.join(",") !== shape.join(",")) {
      throw new AdapterLoadError(
        `adapter tensor ${name} has shape [${t.shape.join(", ")}], expected [${shape.join(", ")}]`,
        name,
      );
    }
  }
  for (const name of tensors.keys()) {
    if (!expected.has(name)) throw new AdapterLoadError(`unexpected adapter tensor ${name}`, name);
  }
  const opts: LoraOptions = {
    r: acfg.r,
    alpha: acfg.lora_alpha,
    dropout: acfg.lora_dropout,
    targetModules: acfg.target_modules,
    useRslora: acfg.use_rslora,
    seed,
  };
  model.applyLora(opts);
  for (const [path, lora] of model.loraModules()) {
    const a = tensors.get(peftTensorName(path, "lora_A"))!;
    const b = tensors.get(peftTensorName(path, "lora_B"))!;
    tf.tidy(() => {
      lora.A.assign(tf.tensor(a.data, a.shape));
      lora.B.assign(tf.tensor(b.data, b.shape));
    });
  }
  return acfg;
}
