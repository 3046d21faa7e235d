// Writes a LoRA adapter exactly as PEFT's save_pretrained does, so it loads in PEFT and vLLM:
// adapter_config.json + adapter_model.safetensors with names
// base_model.model.model.layers.{i}.self_attn.q_proj.lora_A.weight ([r, in]) and .lora_B.weight ([out, r]).
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeSafetensors } from "../io/safetensors.ts";
import type { Component, LoraOptions } from "../model/types.ts";

export function peftTensorNameOf(modulePath: string, factor: "lora_A" | "lora_B"): string {
  return `base_model.model.${modulePath}.${factor}.weight`;
}

/** adapter_config.json with the fields PEFT writes for a plain LoRA adapter. */
export function peftAdapterConfig(lora: LoraOptions, baseModelName: string): Record<string, unknown> {
  return {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: baseModelName,
    bias: "none",
    eva_config: null,
    exclude_modules: null,
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layer_replication: null,
    layers_pattern: null,
    layers_to_transform: null,
    loftq_config: {},
    lora_alpha: lora.alpha,
    lora_bias: false,
    lora_dropout: lora.dropout,
    megatron_config: null,
    megatron_core: "megatron.core",
    modules_to_save: null,
    peft_type: "LORA",
    r: lora.r,
    rank_pattern: {},
    revision: null,
    target_modules: [...lora.targetModules],
    task_type: "CAUSAL_LM",
    use_dora: false,
    use_rslora: lora.useRslora,
  };
}

/** Writes the adapter of LoRA components (variables [A, B]) into `dir`. */
export async function writePeftAdapter(
  dir: string,
  components: Component[],
  lora: LoraOptions,
  baseModelName: string,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const c of components) {
    const [a, b] = c.variables;
    if (!a || !b) throw new Error(`${c.name} is not a LoRA component`);
    tensors.set(peftTensorNameOf(c.name, "lora_A"), {
      shape: [...a.shape],
      data: (await a.data()) as Float32Array,
    });
    tensors.set(peftTensorNameOf(c.name, "lora_B"), {
      shape: [...b.shape],
      data: (await b.data()) as Float32Array,
    });
  }
  await writeSafetensors(join(dir, "adapter_model.safetensors"), tensors, { metadata: { format: "pt" } });
  await writeFile(
    join(dir, "adapter_config.json"),
    `${JSON.stringify(peftAdapterConfig(lora, baseModelName), null, 2)}\n`,
  );
}
