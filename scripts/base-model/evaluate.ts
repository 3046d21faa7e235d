// Scores the exported (BF16) model: held-out loss over every validation block and over the test slice the
// tests recompute, the bigram baseline on the same blocks, and sample generations.
import {
  BlockFile,
  decodeContinuation,
  evaluateLoss,
  generateIds,
  initBackend,
  loadModel,
  loadTokenizer,
} from "../../worker/engine/index.ts";
import { bestBigram, countBigrams } from "./bigram.ts";
import type { BaseModelRecipe } from "./recipe.ts";

export interface HeldOutLoss {
  loss: number;
  perplexity: number;
  tokens: number;
}

export interface Evaluation {
  heldOut: HeldOutLoss;
  /** The first `blocks` held-out blocks: what the tests recompute. */
  testSlice: HeldOutLoss & { blocks: number };
  bigram: HeldOutLoss & { k: number };
  samples: {
    prompt: string;
    temperature: number;
    topP: number;
    seed: number;
    maxNewTokens: number;
    text: string;
  }[];
}

export const SAMPLE_PROMPTS = ["The President", "Call me Ishmael.", "The jury said", "In the year"];
const SAMPLE_TOKENS = 48;

const withPerplexity = (r: { loss: number; tokens: number }): HeldOutLoss => ({
  loss: r.loss,
  perplexity: Math.exp(r.loss),
  tokens: r.tokens,
});

/** The held-out loss of the model in `modelDir` on the first `blocks` blocks (all when absent). */
export async function heldOutLoss(
  modelDir: string,
  validation: BlockFile,
  batchSize: number,
  blocks?: number,
) {
  const model = await loadModel(modelDir);
  try {
    return withPerplexity(await evaluateLoss(model, validation.sequentialBatches(batchSize, 0, blocks)));
  } finally {
    model.dispose();
  }
}

export async function evaluateBaseModel(
  modelDir: string,
  blockFiles: { train: string; validation: string },
  recipe: BaseModelRecipe,
  backend: string,
): Promise<Evaluation> {
  await initBackend(backend as "auto");
  const train = await BlockFile.open(blockFiles.train);
  const validation = await BlockFile.open(blockFiles.validation);
  try {
    const batch = recipe.train.batchSize;
    const heldOut = await heldOutLoss(modelDir, validation, batch);
    const testSlice = {
      ...(await heldOutLoss(modelDir, validation, batch, recipe.testSliceBlocks)),
      blocks: recipe.testSliceBlocks,
    };
    const bigram = bestBigram(countBigrams(train, recipe.model.vocab_size), validation, recipe.bigramK);
    const tokenizer = await loadTokenizer(modelDir);
    const model = await loadModel(modelDir);
    const samples: Evaluation["samples"] = [];
    try {
      for (const prompt of SAMPLE_PROMPTS) {
        for (const temperature of [0, 0.8]) {
          const opts = { maxNewTokens: SAMPLE_TOKENS, temperature, topP: 0.95, seed: 0 };
          const promptIds = tokenizer.encode(prompt);
          const ids = generateIds(model, promptIds, {
            ...opts,
            stopTokenIds: [tokenizer.eosTokenId],
          });
          samples.push({ prompt, ...opts, text: decodeContinuation(tokenizer, promptIds, ids) });
        }
      }
    } finally {
      model.dispose();
    }
    return { heldOut, testSlice, bigram: { ...withPerplexity(bigram), k: bigram.k }, samples };
  } finally {
    train.close();
    validation.close();
  }
}
