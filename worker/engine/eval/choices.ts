// Classification by label log-likelihood: for each example, every candidate label is scored by
//   log p(label tokens | prompt) = sum over the label's tokens of log softmax(logits)[token]
// and the best-scoring label is the prediction. The label's tokens are those a prompt/completion example with
// that completion trains on (the completion's tokens and the EOS that ends it), so the score is exactly the
// negated summed loss `grades score` reports for that line.
import * as tf from "@tensorflow/tfjs-core";
import { DataFormatError, IGNORE_INDEX } from "../data/formats.ts";
import { tokenizeExample } from "../data/tokenize.ts";
import type { CausalLM, Tokenizer } from "../model/types.ts";

/** One sequence to score: the label tokens `choice` after the context `prompt` (token ids). */
export interface ChoiceRow {
  prompt: number[];
  choice: number[];
}

/** The logits [M, V] of the given flat positions (b * T + t) of a batch. */
function logitsAt(model: CausalLM, ids: tf.Tensor2D, mask: tf.Tensor2D, positions: tf.Tensor1D): tf.Tensor2D {
  const [B, T] = ids.shape;
  if (model.hiddenStates && model.lmHeadWeight) {
    // Project only the predicting positions: never [B, T, V] logits for a large vocabulary.
    const hidden = model.hiddenStates(ids, mask); // [B, T, H]
    const flat = tf.reshape(hidden, [B * T, hidden.shape[2]]); // [B*T, H]
    return tf.matMul(tf.gather(flat, positions), model.lmHeadWeight(), false, true) as tf.Tensor2D; // [M, V]
  }
  const logits = model.forward(ids, mask); // [B, T, V]
  const V = logits.shape[2];
  return tf.gather(tf.reshape(logits, [B * T, V]), positions) as tf.Tensor2D; // [M, V]
}

/** log p(choice | prompt) summed over the choice's tokens, per row, in rows' order. */
export async function choiceLogLikelihoods(
  model: CausalLM,
  rows: ChoiceRow[],
  padId: number,
  batchSize = 16,
): Promise<number[]> {
  const out: number[] = [];
  const V = model.config.vocab_size;
  for (let s = 0; s < rows.length; s += batchSize) {
    const batch = rows.slice(s, s + batchSize);
    const T = Math.max(...batch.map((r) => r.prompt.length + r.choice.length));
    const ids = new Int32Array(batch.length * T).fill(padId);
    const mask = new Int32Array(batch.length * T);
    const positions: number[] = [];
    const targets: number[] = [];
    const owner: number[] = [];
    batch.forEach((r, b) => {
      if (r.prompt.length === 0) throw new Error("a choice needs a non-empty prompt to be predicted from");
      if (r.choice.length === 0) throw new Error("a choice has no tokens");
      const seq = [...r.prompt, ...r.choice];
      seq.forEach((id, t) => {
        if (!Number.isInteger(id) || id < 0 || id >= V)
          throw new Error(`token id ${id} is outside the vocabulary (${V})`);
        ids[b * T + t] = id;
        mask[b * T + t] = 1;
      });
      // Position t predicts token t + 1: the choice's tokens are predicted from the last prompt token on.
      for (let t = r.prompt.length - 1; t + 1 < seq.length; t++) {
        positions.push(b * T + t);
        targets.push(seq[t + 1]!);
        owner.push(b);
      }
    });
    const picked = tf.tidy(() => {
      const idsT = tf.tensor2d(ids, [batch.length, T], "int32");
      const maskT = tf.tensor2d(mask, [batch.length, T], "int32");
      const logProbs = tf.logSoftmax(logitsAt(model, idsT, maskT, tf.tensor1d(positions, "int32"))); // [M, V]
      const index = tf.tensor1d(
        targets.map((y, i) => i * V + y),
        "int32",
      );
      return tf.gather(tf.reshape(logProbs, [-1]), index); // [M]
    });
    const host = await picked.data();
    picked.dispose();
    const sums = new Array<number>(batch.length).fill(0);
    owner.forEach((b, i) => {
      sums[b]! += host[i]!;
    });
    out.push(...sums);
  }
  return out;
}

export interface ChoiceExample {
  prompt: string;
  /** The gold label: one of the choices. */
  label: string;
}

export interface ClassCounts {
  /** Examples whose gold label is this class. */
  examples: number;
  /** Of those, predicted correctly. */
  correct: number;
  /** Examples predicted as this class. */
  predicted: number;
}

export interface ChoiceEvaluation {
  accuracy: number;
  examples: number;
  correct: number;
  perClass: Record<string, ClassCounts>;
  /** The predicted label of each example, in order. */
  predictions: string[];
}

/** The token ids a prompt/completion line with this prompt and completion trains on, split into prompt and label. */
export function choiceRow(tok: Tokenizer, prompt: string, choice: string): ChoiceRow {
  const ex = tokenizeExample({ format: "prompt_completion", prompt, completion: choice }, tok, 0);
  const first = ex.labels.findIndex((l) => l !== IGNORE_INDEX);
  return { prompt: ex.inputIds.slice(0, first), choice: ex.inputIds.slice(first) };
}

/** Accuracy and per-class counts, given each example's gold label and the predicted one. */
export function tallyPredictions(gold: string[], predictions: string[], choices: string[]): ChoiceEvaluation {
  const perClass: Record<string, ClassCounts> = {};
  for (const c of choices) perClass[c] = { examples: 0, correct: 0, predicted: 0 };
  let correct = 0;
  gold.forEach((g, i) => {
    const p = predictions[i]!;
    perClass[g]!.examples++;
    perClass[p]!.predicted++;
    if (p === g) {
      perClass[g]!.correct++;
      correct++;
    }
  });
  const examples = gold.length;
  return {
    accuracy: examples > 0 ? correct / examples : Number.NaN,
    examples,
    correct,
    perClass,
    predictions,
  };
}

/** Predicts each example's label as the choice of highest log-likelihood (the first on a tie) and scores it. */
export async function evaluateChoices(
  model: CausalLM,
  tok: Tokenizer,
  examples: ChoiceExample[],
  choices: string[],
  batchSize = 16,
): Promise<ChoiceEvaluation> {
  if (choices.length < 2) throw new Error("at least two choices are needed");
  if (new Set(choices).size !== choices.length) throw new Error("the choices must be distinct");
  examples.forEach((ex, i) => {
    if (!choices.includes(ex.label)) {
      throw new DataFormatError(
        i + 1,
        `completion ${JSON.stringify(ex.label)} is not one of the choices ${JSON.stringify(choices)}`,
      );
    }
  });
  const rows = examples.flatMap((ex) => choices.map((c) => choiceRow(tok, ex.prompt, c)));
  const ll = await choiceLogLikelihoods(model, rows, tok.padTokenId, batchSize);
  const predictions = examples.map((_, i) => {
    let best = 0;
    for (let k = 1; k < choices.length; k++)
      if (ll[i * choices.length + k]! > ll[i * choices.length + best]!) best = k;
    return choices[best]!;
  });
  return tallyPredictions(
    examples.map((e) => e.label),
    predictions,
    choices,
  );
}
