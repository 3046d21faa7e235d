// The decoder-only language model (Llama / Mistral / Qwen2 / Qwen3): embed_tokens → N pre-norm decoder
// layers → norm → lm_head (tied to embed_tokens or separate). Weights keep Hugging Face names and shapes.
import * as tf from "@tensorflow/tfjs-core";
import { rmsNorm } from "../kernels/rms-norm.ts";
import { buildAttentionMask, buildCachedMask, type LayerCache } from "./attention.ts";
import type { DecoderConfig } from "./config.ts";
import { type DecoderLayerWeights, decoderLayer } from "./decoder-layer.ts";
import { type CallContext, Linear } from "./linear.ts";
import { attachLora, type LoraLinear } from "./lora.ts";
import { rotaryTables } from "./rotary.ts";
import {
  ATTENTION_PROJECTIONS,
  type CausalLM,
  type Component,
  type ForwardOptions,
  type LoraOptions,
  PROJECTIONS,
  type Projection,
} from "./types.ts";
import { ownedVariable } from "./variables.ts";
import { expectedWeights } from "./weights.ts";

const ATTENTION = new Set<Projection>(ATTENTION_PROJECTIONS);

export function projectionModulePath(layer: number, projection: Projection): string {
  const block = ATTENTION.has(projection) ? "self_attn" : "mlp";
  return `model.layers.${layer}.${block}.${projection}`;
}

/** Per-layer keys/values of the positions decoded so far; release with disposeKvCache. */
export interface KvCache {
  length: number;
  layers: LayerCache[];
}

export function disposeKvCache(cache: KvCache): void {
  for (const l of cache.layers) tf.dispose([l.k, l.v].filter((t): t is tf.Tensor => t !== undefined));
  cache.layers = [];
}

export class DecoderModel implements CausalLM {
  private readonly weights = new Map<string, tf.Variable>();
  private readonly layers: DecoderLayerWeights[] = [];
  private readonly projections: Map<Projection, Linear>[] = [];
  private mode:
    | { kind: "none" }
    | { kind: "full"; targets: Projection[] }
    | { kind: "lora"; opts: LoraOptions } = {
    kind: "none",
  };
  private disposed = false;

  /**
   * Takes ownership of `tensors` (HF name → tensor with the HF shape). Every expected name must be present
   * with its shape; the loader reports file-level problems before this point.
   */
  constructor(
    readonly config: DecoderConfig,
    tensors: Map<string, tf.Tensor>,
  ) {
    for (const e of expectedWeights(config)) {
      const t = tensors.get(e.name);
      if (!t) throw new Error(`missing weight ${e.name}`);
      if (t.shape.join(",") !== e.shape.join(",")) {
        throw new Error(
          `weight ${e.name} has shape [${t.shape.join(", ")}], expected [${e.shape.join(", ")}]`,
        );
      }
      this.weights.set(e.name, ownedVariable(t));
    }
    const w = (name: string) => this.weights.get(name)!;
    const opt = (name: string) => this.weights.get(name);
    const linear = (path: string) => new Linear(path, w(`${path}.weight`), opt(`${path}.bias`));
    for (let i = 0; i < config.num_hidden_layers; i++) {
      const p = `model.layers.${i}`;
      const projections = new Map<Projection, Linear>();
      for (const proj of PROJECTIONS) projections.set(proj, linear(projectionModulePath(i, proj)));
      this.projections.push(projections);
      const get = (proj: Projection) => projections.get(proj)!;
      this.layers.push({
        input_layernorm: w(`${p}.input_layernorm.weight`),
        post_attention_layernorm: w(`${p}.post_attention_layernorm.weight`),
        self_attn: {
          q_proj: get("q_proj"),
          k_proj: get("k_proj"),
          v_proj: get("v_proj"),
          o_proj: get("o_proj"),
          q_norm: opt(`${p}.self_attn.q_norm.weight`),
          k_norm: opt(`${p}.self_attn.k_norm.weight`),
        },
        mlp: { gate_proj: get("gate_proj"), up_proj: get("up_proj"), down_proj: get("down_proj") },
      });
    }
  }

  get lora(): LoraOptions | undefined {
    return this.mode.kind === "lora" ? this.mode.opts : undefined;
  }

  /** The LoRA-wrapped or fully trained projection of a layer. */
  projection(layer: number, projection: Projection): Linear {
    const p = this.projections[layer]?.get(projection);
    if (!p) throw new Error(`no projection ${projection} in layer ${layer}`);
    return p;
  }

  /** [V, H]: lm_head, or embed_tokens when tied. */
  lmHeadWeight(): tf.Tensor2D {
    const name = this.config.tie_word_embeddings ? "model.embed_tokens.weight" : "lm_head.weight";
    return this.weights.get(name)! as tf.Tensor2D;
  }

  /** Final-norm hidden states [B, T, H] (before lm_head), for losses that project to the vocabulary in chunks. */
  hiddenStates(inputIds: tf.Tensor2D, attentionMask?: tf.Tensor2D, opts: ForwardOptions = {}): tf.Tensor3D {
    const [B, T] = inputIds.shape;
    return tf.tidy(() => {
      const h = this.runLayers(inputIds, attentionMask, opts, this.layers.length);
      const normed = rmsNorm(
        h,
        this.weights.get("model.norm.weight")! as tf.Tensor1D,
        this.config.rms_norm_eps,
      );
      return tf.reshape(normed, [B, T, this.config.hidden_size]); // [B, T, H]
    });
  }

  layerOutput(
    inputIds: tf.Tensor2D,
    attentionMask: tf.Tensor2D | undefined,
    layers: number,
    opts: ForwardOptions = {},
  ): tf.Tensor3D {
    const [B, T] = inputIds.shape;
    if (!Number.isInteger(layers) || layers < 0 || layers > this.layers.length)
      throw new Error(`layer count ${layers} is outside 0..${this.layers.length}`);
    const { from: _, ...fromEmbeddings } = opts;
    return tf.tidy(
      () =>
        tf.reshape(this.runLayers(inputIds, attentionMask, fromEmbeddings, layers), [
          B,
          T,
          this.config.hidden_size,
        ]) as tf.Tensor3D, // [B, T, H]
    );
  }

  /**
   * The residual stream [B*T, H] after decoder layer `to` - 1: from the embeddings, or from `opts.from` (the
   * output of its lowest `from.layers` layers) upwards.
   */
  private runLayers(
    inputIds: tf.Tensor2D,
    attentionMask: tf.Tensor2D | undefined,
    opts: ForwardOptions,
    to: number,
  ): tf.Tensor2D {
    this.checkAlive();
    const [B, T] = inputIds.shape;
    const cfg = this.config;
    const ctx: CallContext = {
      training: opts.training ?? false,
      dropoutSeed: opts.dropoutSeed ?? 0,
      ...(opts.trained ? { trained: opts.trained } : {}),
    };
    const from = opts.from;
    if (from) {
      const want = [B, T, cfg.hidden_size].join(",");
      if (from.hidden.shape.join(",") !== want)
        throw new Error(`hidden states of shape [${from.hidden.shape}] given, the batch needs [${want}]`);
      if (!Number.isInteger(from.layers) || from.layers < 0 || from.layers > to)
        throw new Error(`cannot start above ${from.layers} layers and stop after ${to}`);
    }
    let h: tf.Tensor2D;
    if (from) {
      h = tf.reshape(from.hidden, [B * T, cfg.hidden_size]); // [B*T, H]
    } else {
      const ids = tf.reshape(inputIds.dtype === "int32" ? inputIds : tf.cast(inputIds, "int32"), [B * T]); // [B*T]
      h = tf.gather(this.weights.get("model.embed_tokens.weight")!, ids) as tf.Tensor2D; // [B*T, H]
    }
    const start = from?.layers ?? 0;
    if (start === to) return h;
    const { cos, sin } = rotaryTables(T, cfg.head_dim, cfg.rope_theta, cfg.rope_scaling);
    const mask = buildAttentionMask(attentionMask, B, T, cfg.sliding_window);
    const inp = { batch: B, length: T, cos, sin, mask };
    for (let i = start; i < to; i++) h = decoderLayer(h, this.layers[i]!, cfg, inp, ctx);
    return h;
  }

  /** An empty key/value cache for incremental decoding with `decodeHidden`. */
  createKvCache(): KvCache {
    return { length: 0, layers: this.layers.map(() => ({})) };
  }

  /**
   * Incremental decoding of one unpadded sequence: runs the new tokens inputIds [1, T] after the cache's
   * positions, appends their keys/values to the cache, and returns their final-norm hidden states [T, H].
   */
  decodeHidden(inputIds: tf.Tensor2D, cache: KvCache): tf.Tensor2D {
    this.checkAlive();
    const [B, T] = inputIds.shape;
    if (B !== 1) throw new Error("decodeHidden handles one sequence at a time");
    const cfg = this.config;
    const out = tf.tidy(() => {
      const ctx: CallContext = { training: false, dropoutSeed: 0 };
      const ids = tf.reshape(inputIds.dtype === "int32" ? inputIds : tf.cast(inputIds, "int32"), [T]); // [T]
      let h = tf.gather(this.weights.get("model.embed_tokens.weight")!, ids) as tf.Tensor2D; // [T, H]
      const { cos, sin } = rotaryTables(T, cfg.head_dim, cfg.rope_theta, cfg.rope_scaling, cache.length);
      const mask = buildCachedMask(T, cache.length, cfg.sliding_window);
      const inp = { batch: 1, length: T, cos, sin, mask };
      this.layers.forEach((layer, i) => {
        h = decoderLayer(h, layer, cfg, inp, ctx, cache.layers[i]);
      });
      return rmsNorm(
        h,
        this.weights.get("model.norm.weight")! as tf.Tensor1D,
        cfg.rms_norm_eps,
      ) as tf.Tensor2D;
    });
    cache.length += T;
    return out;
  }

  forward(inputIds: tf.Tensor2D, attentionMask?: tf.Tensor2D, opts: ForwardOptions = {}): tf.Tensor3D {
    const [B, T] = inputIds.shape;
    return tf.tidy(() => {
      const h = tf.reshape(this.hiddenStates(inputIds, attentionMask, opts), [
        B * T,
        this.config.hidden_size,
      ]); // [B*T, H]
      const logits = tf.matMul(h, this.lmHeadWeight(), false, true); // [B*T, V]
      return tf.reshape(logits, [B, T, this.config.vocab_size]); // [B, T, V]
    });
  }

  components(): Component[] {
    const out: Component[] = [];
    if (this.mode.kind === "none") return out;
    const targets = this.mode.kind === "full" ? this.mode.targets : this.mode.opts.targetModules;
    for (let layer = 0; layer < this.config.num_hidden_layers; layer++) {
      for (const projection of PROJECTIONS) {
        if (!targets.includes(projection)) continue;
        const lin = this.projection(layer, projection);
        const variables = this.mode.kind === "full" ? [lin.weight] : [lin.lora!.A, lin.lora!.B];
        out.push({ name: lin.name, layer, projection, variables });
      }
    }
    return out;
  }

  enableFullFineTuning(targetModules: Projection[]): void {
    this.checkAlive();
    if (this.mode.kind !== "none")
      throw new Error(`the model is already set up for ${this.mode.kind} training`);
    checkTargets(targetModules);
    this.mode = { kind: "full", targets: [...targetModules] };
    for (const v of this.weights.values()) v.trainable = true;
  }

  untrackedWeights(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    if (this.mode.kind !== "full") return out;
    const tracked = new Set(this.components().flatMap((c) => c.variables));
    for (const [name, v] of this.weights) if (!tracked.has(v)) out.set(name, v);
    return out;
  }

  applyLora(opts: LoraOptions): void {
    this.checkAlive();
    if (this.mode.kind !== "none")
      throw new Error(`the model is already set up for ${this.mode.kind} training`);
    checkTargets(opts.targetModules);
    if (!Number.isInteger(opts.r) || opts.r <= 0)
      throw new Error(`lora r must be a positive integer, got ${opts.r}`);
    if (!(opts.dropout >= 0 && opts.dropout < 1))
      throw new Error(`lora dropout must be in [0, 1), got ${opts.dropout}`);
    for (let layer = 0; layer < this.config.num_hidden_layers; layer++) {
      for (const projection of opts.targetModules) attachLora(this.projection(layer, projection), opts);
    }
    this.mode = { kind: "lora", opts: { ...opts, targetModules: [...opts.targetModules] } };
  }

  /** The LoRA adapters by module path, in component order. */
  loraModules(): Map<string, LoraLinear> {
    const out = new Map<string, LoraLinear>();
    for (const projections of this.projections) {
      for (const lin of projections.values()) if (lin.lora) out.set(lin.name, lin.lora);
    }
    return out;
  }

  namedWeights(): Map<string, tf.Variable> {
    return new Map(this.weights);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const lora of this.loraModules().values()) lora.dispose();
    for (const v of this.weights.values()) v.dispose();
  }

  private checkAlive(): void {
    if (this.disposed) throw new Error("the model has been disposed");
  }
}

function checkTargets(targets: Projection[]): void {
  if (targets.length === 0) throw new Error("target modules must not be empty");
  for (const t of targets) {
    if (!PROJECTIONS.includes(t)) {
      throw new Error(
        `unknown target module ${JSON.stringify(t)} (expected one of ${PROJECTIONS.join(", ")})`,
      );
    }
  }
}
