// A stand-in for the engine's train() with the same contract, for fast tests of the worker's machinery:
// sleeps per step, emits step/freeze/checkpoint/stop events, checkpoints every checkpointEvery steps and on
// abort (a state.json holding the step and the frozen set), resumes from one, and writes an adapter folder.
// The end-to-end suites in test/e2e run the real engine.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { TrainHooks, TrainSpec, TrainSummary } from "../../worker/engine/index.ts";
import type { TestApp } from "../support/app.ts";

const COMPONENTS = ["model.layers.0.self_attn.q_proj", "model.layers.0.mlp.down_proj"];

export interface StandInOptions {
  stepMs?: number;
  /** Freeze COMPONENTS[0] at this step. */
  freezeAt?: number;
  /** Record of (spec, first step run) for each call. */
  calls?: { spec: TrainSpec; startStep: number }[];
}

export function standInTrain(opts: StandInOptions = {}) {
  return async (spec: TrainSpec, hooks: TrainHooks): Promise<TrainSummary> => {
    const total = spec.maxSteps ?? 10;
    let step = 0;
    let frozen: Record<string, number> = {};
    if (spec.resumeFrom) {
      const state = JSON.parse(await readFile(join(spec.resumeFrom, "state.json"), "utf8"));
      step = state.step;
      frozen = state.frozen;
    }
    opts.calls?.push({ spec, startStep: step + 1 });
    const emit = async (e: Parameters<NonNullable<TrainHooks["onEvent"]>>[0]) => hooks.onEvent?.(e);
    const checkpoint = async () => {
      const dir = join(spec.checkpointDir!, `step-${step}`);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, "state.json"), JSON.stringify({ step, frozen }));
      await emit({ type: "checkpoint", step, dir, trainLoss: 1 / step });
    };
    let reason: TrainSummary["stopReason"] = "max_steps";
    while (step < total) {
      if (hooks.signal?.aborted) {
        reason = "cancelled";
        break;
      }
      await new Promise((r) => setTimeout(r, opts.stepMs ?? 20));
      step++;
      if (opts.freezeAt === step) {
        frozen[COMPONENTS[0]!] = step;
        await emit({ type: "freeze", step, component: COMPONENTS[0]!, metric: 1e-9 });
      }
      await emit({
        type: "step",
        step,
        totalSteps: total,
        epoch: step / total,
        trainLoss: 1 / step,
        learningRate: spec.learningRate,
        tokensPerSecond: 1000,
        frozenFraction: Object.keys(frozen).length / COMPONENTS.length,
        tokens: 10,
      });
      if (spec.checkpointEvery && step % spec.checkpointEvery === 0) await checkpoint();
    }
    if (reason === "cancelled" && step > 0) await checkpoint();
    await mkdir(spec.outputDir, { recursive: true });
    await writeFile(join(spec.outputDir, "adapter_config.json"), JSON.stringify({ peft_type: "LORA" }));
    await writeFile(join(spec.outputDir, "adapter_model.safetensors"), "stand-in");
    await emit({ type: "stop", step, reason });
    return {
      stopReason: reason,
      stepsCompleted: step,
      totalSteps: total,
      trainedTokens: step * 10,
      finalTrainLoss: 1 / Math.max(step, 1),
      finalValidLoss: null,
      frozenFraction: Object.keys(frozen).length / COMPONENTS.length,
      components: COMPONENTS.map((name) => ({ name, frozenAtStep: frozen[name] ?? null, lastMetric: 0.5 })),
      history: [],
      estimatedComputeSaved: 0,
      backend: "stand-in",
    };
  };
}

/** The base model row `stand-in-base` that jobs trained by the stand-in name (its files hold nothing to load). */
export async function registerStandInModel(t: TestApp): Promise<void> {
  await t.db.sql.query(
    `insert into models (id, name, owner, kind, model_type, storage_prefix, config, source)
     values ('mdl_standin', 'stand-in-base', 'system', 'base', 'qwen3', 'models/system/stand-in/', '{}'::jsonb, '{}'::jsonb)`,
  );
  await t.storage.put("models/system/stand-in/config.json", "{}");
}
