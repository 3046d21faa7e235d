// One benchmark run: train with a method's spec, time it, then score the result on the test split by label
// log-likelihood. Wall and CPU time cover train() whole (loading, steps, the early-stopping evaluations, writing
// the output), and not the test scoring, which is the same for every method. CPU time is the process's (all its
// threads): on a shared machine it is far steadier than wall time, which other processes' load inflates.
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { evalChoicesFile } from "../../eval/eval-file.ts";
import type { ModelConfig, Projection } from "../../model/types.ts";
import { train } from "../../train/train.ts";
import type { TrainSpec } from "../../train/types.ts";
import { estimateTrainingFlops } from "./flops.ts";
import type { RunKey, RunRecord } from "./results.ts";

export interface RunInput {
  key: RunKey;
  spec: TrainSpec;
  config: ModelConfig;
  testFile: string;
  choices: string[];
  /** Tokens of one pass over the validation file (what one early-stopping evaluation pushes through). */
  validationTokens: number;
}

export async function runOne(x: RunInput): Promise<RunRecord> {
  const trainLoss: number[] = [];
  const validLoss: { step: number; loss: number }[] = [];
  const checkpoints: { step: number; dir: string }[] = [];
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const summary = await train(x.spec, {
    onEvent: (e) => {
      if (e.type === "step") trainLoss.push(e.trainLoss);
      if (e.type === "eval") validLoss.push({ step: e.step, loss: e.validLoss });
      if (e.type === "checkpoint") checkpoints.push({ step: e.step, dir: e.dir });
    },
  });
  const wallSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const lora = x.spec.trainingType === "lora";
  const score = (adapterDir: string | undefined) =>
    evalChoicesFile({
      modelDir: lora ? x.spec.modelDir : x.spec.outputDir,
      dataFile: x.testFile,
      choices: x.choices,
      ...(adapterDir ? { adapterDir } : {}),
      ...(x.spec.backend ? { backend: x.spec.backend } : {}),
    });
  const test = await score(lora ? x.spec.outputDir : undefined);
  // The run's output is its last point (scored above), whether or not a checkpoint fell on its last step.
  const trajectory = x.spec.checkpointDir
    ? await scoreCheckpoints(
        x.spec.checkpointDir,
        checkpoints.filter((c) => c.step < summary.stepsCompleted),
        lora,
        score,
      )
    : undefined;
  await rm(x.spec.outputDir, { recursive: true, force: true });
  const flops = estimateTrainingFlops({
    config: x.config,
    loraR: lora ? x.spec.lora.r : undefined,
    trainedTokens: summary.trainedTokens,
    steps: summary.stepsCompleted,
    components: summary.components.map((c) => ({
      projection: c.name.split(".").at(-1) as Projection,
      trainedSteps: c.frozenAtStep ?? summary.stepsCompleted,
    })),
    evalTokens: validLoss.length * x.validationTokens,
  });
  return {
    ...x.key,
    budgetSteps: summary.totalSteps,
    steps: summary.stepsCompleted,
    stopReason: summary.stopReason,
    wallSeconds,
    cpuSeconds,
    evalPasses: validLoss.length,
    flops,
    testAccuracy: test.accuracy,
    perClass: test.perClass,
    frozenFraction: summary.frozenFraction,
    finalTrainLoss: summary.finalTrainLoss,
    trainLoss,
    validLoss,
    history: summary.history,
    grades: x.spec.grades,
    components: summary.components,
    ...(trajectory
      ? { trajectory: [...trajectory, { step: summary.stepsCompleted, accuracy: test.accuracy }] }
      : {}),
  };
}

/**
 * Test accuracy of the given checkpoints of a trajectory run, in the order given; the checkpoint folder is
 * removed afterwards. A LoRA checkpoint holds a PEFT adapter and is scored as one; a full fine-tuning checkpoint
 * is not a model folder, so the benchmark refuses trajectories of full fine-tuning before it runs.
 */
async function scoreCheckpoints(
  root: string,
  checkpoints: { step: number; dir: string }[],
  lora: boolean,
  score: (adapterDir: string) => Promise<{ accuracy: number }>,
): Promise<{ step: number; accuracy: number }[]> {
  if (!lora) throw new Error("a trajectory needs LoRA checkpoints");
  const points: { step: number; accuracy: number }[] = [];
  for (const { step, dir } of checkpoints) points.push({ step, accuracy: (await score(dir)).accuracy });
  await rm(root, { recursive: true, force: true });
  return points;
}

export function runDir(root: string, key: RunKey): string {
  return join(root, "runs", `${key.task}-${key.mode}-${key.method.replace(":", "-")}-${key.seed}`);
}
