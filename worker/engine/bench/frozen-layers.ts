// What freezing saves per step and end to end. (1) Step time with the lowest k of L layers entirely frozen,
// k = 0, L/2, L-1, L, in LoRA with and without the activation cache and in full fine-tuning (where the embeddings
// and norms below keep training, so only the frozen matrices' weight gradients are saved): every configuration in
// this process, stepped in turn round by round with the order alternating, compared by median. (2) A short GradES
// run of the built-in model on the sentiment task with the product's defaults, with and without the cache, the two
// runs stepped alternately: wall and CPU seconds, where the cache applied, losses and test accuracy.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { loadDataset } from "../data/dataset.ts";
import { evaluateChoices } from "../eval/choices.ts";
import { parseChoiceExamples } from "../eval/eval-file.ts";
import { loadModel } from "../model/loader.ts";
import { loadTokenizer } from "../tokenizer/tokenizer.ts";
import type { ActivationCacheStats } from "../train/activation-cache.ts";
import { Trainer } from "../train/trainer.ts";
import type { TrainSpec } from "../train/types.ts";
import { BATCH, MODEL, median, randomData, SEQ, benchSpec as spec } from "./bench-model.ts";
import { prepareTask } from "./grades/prepare.ts";
import { benchSpec as productSpec } from "./grades/product-options.ts";
import { sentimentTask } from "./grades/tasks/sentiment.ts";

const ms = (s: number) => `${(s * 1000).toFixed(1).padStart(8)} ms`;
const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)}%`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(2)} MiB`;

interface StepConfig {
  name: string;
  type: "lora" | "full";
  frozen: number;
  cache: boolean;
  trainer: Trainer;
  dispose: () => void;
  wall: number[];
  cpu: number[];
}

export interface FrozenStepRow {
  type: "lora" | "full";
  frozenLayers: number;
  cache: boolean;
  wallMs: number;
  cpuMs: number;
  /** Wall and CPU time over the same mode's step with nothing frozen. */
  wallOverNone: number;
  cpuOverNone: number;
  cacheStats?: ActivationCacheStats;
}

/**
 * Step times with the lowest k layers frozen. The data set is two batches, so one epoch (the warmup) fills the
 * cache and every measured step reads it.
 */
export async function frozenStepTable(
  modelDir: string,
  backend: string,
  opts: { warmup: number; steps: number },
): Promise<FrozenStepRow[]> {
  const L = MODEL.num_hidden_layers!;
  const depths = [...new Set([0, Math.floor(L / 2), L - 1, L])];
  const data = randomData(2 * BATCH);
  const configs: StepConfig[] = [];
  const add = async (type: "lora" | "full", frozen: number, cache: boolean) => {
    const model = await loadModel(modelDir);
    const s = { ...spec(modelDir, false, type), activationCacheMb: cache ? 256 : 0 };
    const trainer = new Trainer({ spec: s, model, train: data, padId: 0, backend });
    for (const c of trainer.components) if (c.layer < frozen) trainer.freezeNow(c.name);
    const name = `${type} ${frozen}/${L} frozen${type === "lora" ? (cache ? ", cache" : ", no cache") : ""}`;
    configs.push({
      name,
      type,
      frozen,
      cache,
      trainer,
      dispose: () => {
        trainer.dispose();
        model.dispose();
      },
      wall: [],
      cpu: [],
    });
  };
  for (const k of depths) {
    await add("lora", k, false);
    if (k > 0) await add("lora", k, true);
  }
  for (const k of depths) await add("full", k, false);
  try {
    for (let round = 0; round < opts.warmup + opts.steps; round++) {
      const order = round % 2 === 0 ? configs : [...configs].reverse();
      for (const c of order) {
        const cpuStart = process.cpuUsage();
        const r = await c.trainer.trainStep();
        const used = process.cpuUsage(cpuStart);
        if (round >= opts.warmup) {
          c.wall.push(r.seconds);
          c.cpu.push((used.user + used.system) / 1e6);
        }
      }
    }
    const none = (type: string) => configs.find((c) => c.type === type && c.frozen === 0)!;
    return configs.map((c) => {
      const base = none(c.type);
      const stats = c.trainer.activationCache?.stats;
      return {
        type: c.type,
        frozenLayers: c.frozen,
        cache: c.cache,
        wallMs: median(c.wall) * 1000,
        cpuMs: median(c.cpu) * 1000,
        wallOverNone: median(c.wall) / median(base.wall),
        cpuOverNone: median(c.cpu) / median(base.cpu),
        ...(c.cache && stats ? { cacheStats: stats } : {}),
      };
    });
  } finally {
    for (const c of configs) c.dispose();
  }
}

export function printFrozenStepTable(rows: FrozenStepRow[], opts: { warmup: number; steps: number }): void {
  const L = MODEL.num_hidden_layers!;
  console.log(
    `\nlowest k of ${L} layers entirely frozen: batch ${BATCH} x ${SEQ} tokens, ${opts.steps} steps per configuration ` +
      `after ${opts.warmup} warmup (one epoch: it fills the cache), interleaved; medians`,
  );
  console.log(
    "configuration                  wall time   of none frozen     CPU time   of none frozen   cache / no cache (wall, CPU)",
  );
  for (const r of rows) {
    const twin = rows.find(
      (o) => o.type === r.type && o.frozenLayers === r.frozenLayers && o.cache !== r.cache && !o.cache,
    );
    const name = `${r.type} ${r.frozenLayers}/${L} frozen${r.type === "lora" ? (r.cache ? ", cache" : ", no cache") : ""}`;
    const vs =
      r.cache && twin ? `${(r.wallMs / twin.wallMs).toFixed(3)}, ${(r.cpuMs / twin.cpuMs).toFixed(3)}` : "";
    console.log(
      `${name.padEnd(26)} ${ms(r.wallMs / 1000)}   ${pct(r.wallOverNone)}        ${ms(r.cpuMs / 1000)}   ${pct(r.cpuOverNone)}        ${vs}`,
    );
  }
  for (const r of rows) {
    if (!r.cacheStats) continue;
    const s = r.cacheStats;
    console.log(
      `cache of lora ${r.frozenLayers}/${L}: ${s.entries} examples, ${mib(s.bytes)} of ${mib(s.limitBytes)} ` +
        `(${(s.bytes / s.entries / SEQ).toFixed(0)} bytes a token: hidden ${MODEL.hidden_size} x bfloat16), ${s.hits} hits, ${s.misses} misses`,
    );
  }
}

interface RunState {
  name: string;
  model: Parameters<typeof evaluateChoices>[0];
  trainer: Trainer;
  dispose: () => void;
  wall: number;
  cpu: number;
  losses: number[];
  /** Steps at which the cache started above k layers. */
  cacheSteps: number;
  firstCachedStep: number | null;
  done: boolean;
}

/** GradES options a run changes from the product's defaults, and its learning-rate multiplier. */
export interface EndToEndVariant {
  label: string;
  overrides?: Partial<TrainSpec["grades"]>;
  lrMultiplier?: number;
}

export interface EndToEndResult {
  variant: EndToEndVariant;
  examples: number;
  budget: number;
  /** The first step after which the two runs' frozen sets differ (null: they never do). */
  freezesDifferFrom: number | null;
  /** Largest |loss with cache - loss without| over the steps before that. */
  maxLossDifference: number;
  runs: {
    name: string;
    steps: number;
    wallSeconds: number;
    cpuSeconds: number;
    frozenFraction: number;
    stepsAboveCache: number;
    firstCachedStep: number | null;
    finalLoss: number;
    testAccuracy: number;
    cache?: ActivationCacheStats;
  }[];
}

/**
 * A GradES run with the product's LoRA defaults on `examples` sentiment sentences, with the activation cache
 * (the default) and without it, stepped alternately until each stops (all frozen or the budget).
 */
export async function endToEnd(
  modelDir: string,
  root: string,
  backend: string,
  examples: number,
  epochs: number,
  variant: EndToEndVariant,
): Promise<EndToEndResult> {
  const task = await prepareTask(
    sentimentTask,
    { train: examples, validation: 50, test: 300 },
    modelDir,
    root,
  );
  const tokenizer = await loadTokenizer(modelDir);
  const runs: RunState[] = [];
  for (const cache of [true, false]) {
    const s = productSpec({
      mode: "lora",
      method: variant.overrides ? `grades:${variant.label}` : "grades",
      overrides: variant.overrides,
      lrMultiplier: variant.lrMultiplier,
      examples: task.trainExamples,
      epochs,
      seed: 1,
      files: { ...task, modelDir, outputDir: join(root, cache ? "cache" : "no-cache") },
    });
    const model = await loadModel(modelDir);
    const data = await loadDataset(task.trainFile, {
      tokenizer,
      maxSeqLen: s.maxSeqLen,
      vocabSize: model.config.vocab_size,
    });
    const trainer = new Trainer({
      spec: cache ? s : { ...s, activationCacheMb: 0 },
      model,
      train: data,
      padId: tokenizer.padTokenId,
      backend,
    });
    runs.push({
      name: cache ? "activation cache (default)" : "no cache",
      model,
      trainer,
      dispose: () => {
        trainer.dispose();
        model.dispose();
      },
      wall: 0,
      cpu: 0,
      losses: [],
      cacheSteps: 0,
      firstCachedStep: null,
      done: false,
    });
  }
  try {
    for (let round = 0; runs.some((r) => !r.done); round++) {
      for (const r of round % 2 === 0 ? runs : [...runs].reverse()) {
        if (r.done) continue;
        const t = r.trainer;
        if (t.grades.shouldStop() || t.step >= t.totalSteps) {
          r.done = true;
          continue;
        }
        const cpuStart = process.cpuUsage();
        const res = await t.trainStep();
        const used = process.cpuUsage(cpuStart);
        r.wall += res.seconds;
        r.cpu += (used.user + used.system) / 1e6;
        r.losses.push(res.loss);
        const layers = t.activationCache?.stats.layers ?? 0;
        if (layers > 0) {
          r.cacheSteps++;
          r.firstCachedStep ??= res.step;
        }
      }
    }
    const test = parseChoiceExamples(await readFile(task.testFile, "utf8"));
    const out: EndToEndResult["runs"] = [];
    for (const r of runs) {
      const acc = await evaluateChoices(r.model, tokenizer, test, sentimentTask.choices);
      const tail = r.losses.slice(-20);
      out.push({
        name: r.name,
        steps: r.trainer.step,
        wallSeconds: r.wall,
        cpuSeconds: r.cpu,
        frozenFraction: r.trainer.frozenFraction,
        stepsAboveCache: r.cacheSteps,
        firstCachedStep: r.firstCachedStep,
        finalLoss: tail.reduce((a, b) => a + b, 0) / tail.length,
        testAccuracy: acc.accuracy,
        ...(r.trainer.activationCache ? { cache: r.trainer.activationCache.stats } : {}),
      });
    }
    const [a, b] = runs as [RunState, RunState];
    const at = (r: RunState, name: string) => r.trainer.grades.frozenStep(name) ?? Number.POSITIVE_INFINITY;
    const differ = Math.min(
      ...a.trainer.components.map((c) =>
        at(a, c.name) === at(b, c.name) ? Number.POSITIVE_INFINITY : Math.min(at(a, c.name), at(b, c.name)),
      ),
    );
    const common = Math.min(a.losses.length, b.losses.length, differ);
    let maxLossDifference = 0;
    for (let i = 0; i < common; i++)
      maxLossDifference = Math.max(maxLossDifference, Math.abs(a.losses[i]! - b.losses[i]!));
    return {
      variant,
      examples: task.trainExamples,
      budget: a.trainer.totalSteps,
      freezesDifferFrom: Number.isFinite(differ) ? differ : null,
      maxLossDifference,
      runs: out,
    };
  } finally {
    for (const r of runs) r.dispose();
  }
}

export function printEndToEnd(e: EndToEndResult, modelDir: string): void {
  console.log(
    `\nGradES end to end (${e.variant.label}): ${modelDir}, sentiment, ${e.examples} training sentences, LoRA, ` +
      `budget ${e.budget} steps; the two runs stepped alternately`,
  );
  for (const r of e.runs) {
    const cache = r.cache
      ? `cache: ${r.cache.entries} examples above ${r.cache.layers} layers, ${mib(r.cache.bytes)}, ${r.cache.hits} hits, ${r.cache.misses} misses`
      : "no cache";
    console.log(
      `${r.name.padEnd(36)} ${String(r.steps).padStart(4)} steps  ${r.wallSeconds.toFixed(1).padStart(6)} s wall  ` +
        `${r.cpuSeconds.toFixed(1).padStart(6)} s CPU  frozen ${pct(r.frozenFraction)}  lowest layers frozen from step ` +
        `${r.firstCachedStep ?? "-"} (${r.stepsAboveCache} steps)  mean loss of the last 20 steps ${r.finalLoss.toFixed(4)}  ` +
        `test accuracy ${r.testAccuracy.toFixed(3)}  ${cache}`,
    );
  }
  console.log(
    `frozen sets ${e.freezesDifferFrom === null ? "identical throughout" : `differ from step ${e.freezesDifferFrom}`}; ` +
      `largest step-loss difference before that ${e.maxLossDifference.toExponential(2)}`,
  );
  const [a, b] = e.runs;
  if (a && b)
    console.log(
      `cache / no cache: wall ${(a.wallSeconds / b.wallSeconds).toFixed(3)}, CPU ${(a.cpuSeconds / b.cpuSeconds).toFixed(3)}, ` +
        `per step CPU ${(a.cpuSeconds / a.steps / (b.cpuSeconds / b.steps)).toFixed(3)}`,
    );
}
