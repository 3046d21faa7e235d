// An independent float64 reference of the Hugging Face decoder (Llama / Mistral / Qwen2 / Qwen3) in plain
// loops, written straight from transformers' modeling code, to check the TensorFlow.js decoder against.
// It shares no code with the engine.

export interface RefConfig {
  model_type: string;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  head_dim: number;
  rms_norm_eps: number;
  rope_theta: number;
  vocab_size: number;
  tie_word_embeddings: boolean;
  sliding_window?: number;
}

export interface RefTensor {
  shape: number[];
  data: ArrayLike<number>;
}

/** Optional LoRA deltas per module path ("model.layers.0.self_attn.q_proj"): A [r, in], B [out, r]. */
export interface RefLora {
  scaling: number;
  modules: Map<string, { A: RefTensor; B: RefTensor }>;
}

type Vec = Float64Array;

function get(w: Map<string, RefTensor>, name: string): RefTensor {
  const t = w.get(name);
  if (!t) throw new Error(`reference: missing ${name}`);
  return t;
}

/** y = W x (+ b) for W [out, in] row-major. */
function linear(W: RefTensor, x: Vec, b?: RefTensor): Vec {
  const [out, inp] = W.shape as [number, number];
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let s = b ? b.data[o]! : 0;
    for (let i = 0; i < inp; i++) s += W.data[o * inp + i]! * x[i]!;
    y[o] = s;
  }
  return y;
}

function rms(x: Vec, w: RefTensor, eps: number, offset = 0, len = x.length): void {
  let ss = 0;
  for (let i = 0; i < len; i++) ss += x[offset + i]! ** 2;
  const scale = 1 / Math.sqrt(ss / len + eps);
  for (let i = 0; i < len; i++) x[offset + i] = x[offset + i]! * scale * w.data[i]!;
}

function proj(w: Map<string, RefTensor>, path: string, x: Vec, lora?: RefLora): Vec {
  const y = linear(get(w, `${path}.weight`), x, w.get(`${path}.bias`));
  const m = lora?.modules.get(path);
  if (m && lora) {
    const ax = linear(m.A, x);
    const bax = linear(m.B, ax);
    for (let i = 0; i < y.length; i++) y[i]! += bax[i]! * lora.scaling;
  }
  return y;
}

/** Rotates each head of x (heads × D, contiguous) for position pos, rotate_half convention. */
function rope(x: Vec, heads: number, D: number, pos: number, theta: number): void {
  const half = D / 2;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      const angle = pos / theta ** ((2 * i) / D);
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      const a = x[h * D + i]!;
      const b = x[h * D + i + half]!;
      x[h * D + i] = a * c - b * s;
      x[h * D + i + half] = b * c + a * s;
    }
  }
}

/**
 * Logits [B][T][V] in float64. mask[b][t] = 1 for tokens, 0 for padding; rows of padding queries are
 * returned but meaningless (transformers leaves them implementation-defined too).
 */
export function referenceLogits(
  cfg: RefConfig,
  w: Map<string, RefTensor>,
  ids: number[][],
  mask?: number[][],
  lora?: RefLora,
): number[][][] {
  const H = cfg.hidden_size;
  const nH = cfg.num_attention_heads;
  const nKV = cfg.num_key_value_heads;
  const D = cfg.head_dim;
  const groups = nH / nKV;
  const eps = cfg.rms_norm_eps;
  const emb = get(w, "model.embed_tokens.weight");
  const head = cfg.tie_word_embeddings ? emb : get(w, "lm_head.weight");
  return ids.map((row, b) => {
    const T = row.length;
    let hs: Vec[] = row.map((id) => Float64Array.from({ length: H }, (_, i) => emb.data[id * H + i]!));
    for (let l = 0; l < cfg.num_hidden_layers; l++) {
      const p = `model.layers.${l}`;
      const qs: Vec[] = [];
      const ks: Vec[] = [];
      const vs: Vec[] = [];
      for (let t = 0; t < T; t++) {
        const x = Float64Array.from(hs[t]!);
        rms(x, get(w, `${p}.input_layernorm.weight`), eps);
        const q = proj(w, `${p}.self_attn.q_proj`, x, lora);
        const k = proj(w, `${p}.self_attn.k_proj`, x, lora);
        const v = proj(w, `${p}.self_attn.v_proj`, x, lora);
        if (cfg.model_type === "qwen3") {
          for (let h = 0; h < nH; h++) rms(q, get(w, `${p}.self_attn.q_norm.weight`), eps, h * D, D);
          for (let h = 0; h < nKV; h++) rms(k, get(w, `${p}.self_attn.k_norm.weight`), eps, h * D, D);
        }
        rope(q, nH, D, t, cfg.rope_theta);
        rope(k, nKV, D, t, cfg.rope_theta);
        qs.push(q);
        ks.push(k);
        vs.push(v);
      }
      const next: Vec[] = [];
      for (let t = 0; t < T; t++) {
        const attnOut = new Float64Array(nH * D);
        for (let h = 0; h < nH; h++) {
          const kvh = Math.floor(h / groups);
          const visible: number[] = [];
          for (let s = 0; s <= t; s++) {
            if (mask && mask[b]![s] === 0) continue;
            if (cfg.sliding_window !== undefined && t - s >= cfg.sliding_window) continue;
            visible.push(s);
          }
          const scores = visible.map((s) => {
            let dot = 0;
            for (let i = 0; i < D; i++) dot += qs[t]![h * D + i]! * ks[s]![kvh * D + i]!;
            return dot / Math.sqrt(D);
          });
          const max = Math.max(...scores);
          const exps = scores.map((x) => Math.exp(x - max));
          const z = exps.reduce((a, c) => a + c, 0);
          visible.forEach((s, j) => {
            for (let i = 0; i < D; i++) attnOut[h * D + i]! += (exps[j]! / z) * vs[s]![kvh * D + i]!;
          });
        }
        const o = proj(w, `${p}.self_attn.o_proj`, attnOut, lora);
        const h1 = Float64Array.from(hs[t]!, (x, i) => x + o[i]!);
        const x2 = Float64Array.from(h1);
        rms(x2, get(w, `${p}.post_attention_layernorm.weight`), eps);
        const gate = proj(w, `${p}.mlp.gate_proj`, x2, lora);
        const up = proj(w, `${p}.mlp.up_proj`, x2, lora);
        const act = gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]!);
        const down = proj(w, `${p}.mlp.down_proj`, act, lora);
        next.push(Float64Array.from(h1, (x, i) => x + down[i]!));
      }
      hs = next;
    }
    return hs.map((h) => {
      const x = Float64Array.from(h);
      rms(x, get(w, "model.norm.weight"), eps);
      return Array.from(linear(head, x));
    });
  });
}
