// Autoregressive text generation with a key/value cache: greedy (temperature 0) or temperature / top-p
// sampling with a seeded PRNG.
import * as tf from "@tensorflow/tfjs-core";
import { type DecoderModel, disposeKvCache } from "./causal-lm.ts";
import { uniformSource } from "./random.ts";
import type { Tokenizer } from "./types.ts";

export interface GenerateOptions {
  maxNewTokens: number;
  /** 0 = greedy. */
  temperature: number;
  /** Nucleus sampling: keep the smallest set of tokens whose probability reaches topP (1 = all). */
  topP?: number;
  seed?: number;
  /** Generation stops after any of these ids (which are included in the output ids). */
  stopTokenIds?: number[];
}

/** Picks the next token from one row of logits. */
export function pickToken(
  logits: Float32Array,
  temperature: number,
  topP: number,
  next: () => number,
): number {
  if (temperature <= 0) {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
    return best;
  }
  let max = Number.NEGATIVE_INFINITY;
  for (const x of logits) max = Math.max(max, x);
  const probs = new Float64Array(logits.length);
  let z = 0;
  for (let i = 0; i < logits.length; i++) {
    probs[i] = Math.exp((logits[i]! - max) / temperature);
    z += probs[i]!;
  }
  let order: number[] | undefined;
  let mass = z;
  if (topP < 1) {
    order = Array.from(probs.keys()).sort((a, b) => probs[b]! - probs[a]!);
    let kept = 0;
    let k = 0;
    while (k < order.length && kept < topP * z) kept += probs[order[k++]!]!;
    order = order.slice(0, k);
    mass = kept;
  }
  let r = next() * mass;
  for (const i of order ?? probs.keys()) {
    r -= probs[i]!;
    if (r <= 0) return i;
  }
  return order ? order[order.length - 1]! : logits.length - 1;
}

/** Generates up to maxNewTokens ids after `promptIds`; returns the new ids only. */
export function generateIds(model: DecoderModel, promptIds: number[], opts: GenerateOptions): number[] {
  if (promptIds.length === 0) throw new Error("generate: the prompt is empty");
  const limit = model.config.max_position_embeddings;
  const next = uniformSource(opts.seed ?? 0);
  const stop = new Set(opts.stopTokenIds ?? []);
  const out: number[] = [];
  const cache = model.createKvCache();
  try {
    // The prompt fills the key/value cache in one pass; each new token then costs one position.
    let pending = [...promptIds];
    for (let step = 0; step < opts.maxNewTokens && cache.length + pending.length <= limit; step++) {
      const row = tf.tidy(() => {
        const hidden = model.decodeHidden(tf.tensor2d([pending], [1, pending.length], "int32"), cache); // [T, H]
        const last = tf.slice(hidden, [pending.length - 1, 0], [1, -1]); // [1, H]
        // W [V, H] · last^T [H, 1]: the large lm_head stays a plain operand (no [V, H] transpose per token).
        return tf.matMul(model.lmHeadWeight(), tf.transpose(last)).dataSync() as Float32Array; // [V, 1]
      });
      const token = pickToken(row, opts.temperature, opts.topP ?? 1, next);
      out.push(token);
      if (stop.has(token)) break;
      pending = [token];
    }
  } finally {
    disposeKvCache(cache);
  }
  return out;
}

/**
 * The text the new ids add after the prompt. Decoding them alone would lose what depends on the join, e.g. the
 * space a SentencePiece tokenizer strips from the start of a decoded text.
 */
export function decodeContinuation(tok: Tokenizer, promptIds: number[], newIds: number[]): string {
  const opts = { skipSpecialTokens: true };
  const head = tok.decode(promptIds, opts);
  const full = tok.decode([...promptIds, ...newIds], opts);
  return full.startsWith(head) ? full.slice(head.length) : tok.decode(newIds, opts);
}
