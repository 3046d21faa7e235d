// npm run bench:grades -- --model <dir> [--tasks sentiment,spam,brown] [--modes lora,full] [--seeds 3] [--quick]
// GradES against the full budget and validation-loss early stopping, on real labelled tasks: every task ×
// training mode × method × seed is trained with the product's default options and the same step budget, then
// scored on the task's test split by label log-likelihood. Each finished run is appended to
// <out>/results.jsonl; a rerun skips the runs already there, so the benchmark can be interrupted and resumed.
import { join, resolve } from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { initBackend } from "../../backend.ts";
import { BACKENDS, threadsOption } from "../../cli/backend-option.ts";
import { readModelConfig } from "../../model/config.ts";
import { resolveAuto } from "../../train/options.ts";
import { train } from "../../train/train.ts";
import type { BackendName, TrainSpec } from "../../train/types.ts";
import { writeBenchPlots } from "./plots.ts";
import { modelFingerprint, type PreparedTask, prepareTask, type Sizes } from "./prepare.ts";
import {
  ALL_METHODS,
  type BaseMethod,
  type BenchRun,
  benchSpec,
  type GradesOverrides,
  METHODS,
  type Method,
  MODES,
  type Mode,
} from "./product-options.ts";
import { taskTable, trajectoryTable } from "./report.ts";
import { appendResult, keyOf, type RunKey, readResults } from "./results.ts";
import { runDir, runOne } from "./run.ts";
import { TASKS } from "./tasks/index.ts";

const FULL_SIZES: Sizes = { train: 600, validation: 150, test: 600 };
const QUICK_SIZES: Sizes = { train: 240, validation: 80, test: 300 };

interface Flags {
  model: string;
  tasks: string[];
  modes: Mode[];
  seeds: number;
  quick?: boolean;
  epochs: number;
  out: string;
  backend: BackendName;
  threads?: number;
  estimateOnly?: boolean;
  trainExamples?: number;
  testExamples?: number;
  methods: BaseMethod[];
  lrMultiplier?: number;
  variants: Record<string, GradesOverrides>;
  trajectoryPoints: number;
  batchSize?: number;
}

/** --variants '{"name": {GradES options}}': each becomes a method grades:<name>. */
function variants(raw: string): Record<string, GradesOverrides> {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (err) {
    throw new InvalidArgumentError(`--variants is not JSON (${(err as Error).message})`);
  }
  if (!v || typeof v !== "object" || Array.isArray(v))
    throw new InvalidArgumentError('--variants must be an object {"name": {GradES options}}');
  return v as Record<string, GradesOverrides>;
}

function list<T extends string>(allowed: readonly T[], flag: string) {
  return (raw: string): T[] => {
    const items = raw.split(",").map((s) => s.trim());
    for (const i of items)
      if (!allowed.includes(i as T))
        throw new InvalidArgumentError(`${flag}: ${JSON.stringify(i)} is not one of ${allowed.join(", ")}`);
    return items as T[];
  };
}

function positiveInt(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${raw} is not a positive integer`);
  return n;
}

const fmtSeconds = (s: number) => (s >= 120 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(0)} s`);

/**
 * Wall and CPU seconds per optimizer step of a task × mode, from a 5-step probe run (its first step, which
 * compiles kernels, excluded). CPU time tells what the steps cost on an otherwise idle machine.
 */
async function probeStepSeconds(
  p: PreparedTask,
  mode: Mode,
  modelDir: string,
  root: string,
  specOf: SpecOf,
): Promise<{ wall: number; cpu: number }> {
  const spec = specOf({
    mode,
    method: "full_budget",
    examples: p.trainExamples,
    epochs: 1,
    seed: 1,
    files: {
      modelDir,
      trainFile: p.trainFile,
      validationFile: p.validationFile,
      outputDir: join(root, "probe"),
    },
  });
  let firstWall = 0;
  let firstCpu: NodeJS.CpuUsage | undefined;
  let steps = 0;
  await train(
    { ...spec, maxSteps: 5 },
    {
      onEvent: (e) => {
        if (e.type !== "step") return;
        steps++;
        if (steps === 1) {
          firstWall = performance.now();
          firstCpu = process.cpuUsage();
        }
      },
    },
  );
  const cpu = process.cpuUsage(firstCpu);
  const n = Math.max(1, steps - 1);
  return { wall: (performance.now() - firstWall) / 1000 / n, cpu: (cpu.user + cpu.system) / 1e6 / n };
}

/** benchSpec with the settings every run of one invocation shares filled in (epochs, multiplier, batch size). */
type SpecOf = (r: Omit<BenchRun, "epochs" | "lrMultiplier" | "batchSize"> & { epochs?: number }) => TrainSpec;

async function main(f: Flags): Promise<void> {
  const root = resolve(f.out);
  const modelDir = resolve(f.model);
  const backend = await initBackend(f.backend, { threads: f.threads });
  const config = await readModelConfig(modelDir);
  const base = f.quick ? QUICK_SIZES : FULL_SIZES;
  const sizes: Sizes = {
    ...base,
    ...(f.trainExamples ? { train: f.trainExamples } : {}),
    ...(f.testExamples ? { test: f.testExamples } : {}),
  };
  const fingerprint = await modelFingerprint(modelDir);
  // The multiplier a job on this model gets by default ("auto"), unless --lr-multiplier says otherwise.
  const lrMultiplier =
    f.lrMultiplier ?? resolveAuto(undefined, null, config.grades_finetune).learning_rate_multiplier;
  const specOf: SpecOf = (r) => benchSpec({ epochs: f.epochs, lrMultiplier, batchSize: f.batchSize, ...r });
  const setup = `${fingerprint}/${sizes.train}-${sizes.validation}-${sizes.test}/e${f.epochs}/lr×${lrMultiplier}${
    f.batchSize ? `/b${f.batchSize}` : ""
  }`;
  const resultsFile = join(root, "results.jsonl");
  const done = new Map((await readResults(resultsFile)).map((r) => [keyOf(r), r]));
  process.stdout.write(
    `GradES benchmark: model ${modelDir} (${fingerprint}), backend ${backend}, ${f.epochs} epochs, ` +
      `train/validation/test ${sizes.train}/${sizes.validation}/${sizes.test}, seeds 1..${f.seeds}; results in ${resultsFile}\n`,
  );

  const prepared = new Map<string, PreparedTask>();
  for (const name of f.tasks) prepared.set(name, await prepareTask(TASKS[name]!, sizes, modelDir, root));

  // The options measured, as the service resolves them (the first task's training-set size).
  const first = [...prepared.values()][0]!;
  // Options only: benchSpec() needs no real files to resolve them.
  const files = { modelDir, trainFile: "", validationFile: "", outputDir: "" };
  for (const mode of f.modes) {
    const base = { mode, examples: first.trainExamples, seed: 1, files };
    const g = specOf({ ...base, method: "grades" });
    const es = specOf({ ...base, method: "early_stopping" });
    process.stdout.write(
      `${mode}: lr ${g.learningRate}, batch ${g.batchSize}, ${g.lrScheduler} schedule, warmup ${g.warmupRatio}, ` +
        `LoRA ${JSON.stringify(g.lora)}; GradES ${JSON.stringify(g.grades)}; early stopping ${JSON.stringify(es.earlyStopping)}\n`,
    );
  }
  const methods: Method[] = [...f.methods, ...Object.keys(f.variants).map((n) => `grades:${n}` as const)];
  if (methods.includes("trajectory") && f.modes.includes("full")) {
    process.stderr.write(
      "--methods trajectory needs --modes lora: only a LoRA checkpoint can be scored as a model (it holds a PEFT adapter)\n",
    );
    process.exitCode = 2;
    return;
  }
  // The step budget of a task × mode: the same for every method.
  const budgetSteps = (p: PreparedTask, mode: Mode) => {
    const { batchSize } = specOf({ mode, method: "full_budget", examples: p.trainExamples, seed: 1, files });
    return f.epochs * Math.ceil(p.trainExamples / batchSize);
  };
  const plan: { p: PreparedTask; key: RunKey }[] = [];
  // Methods interleaved within a seed: a change in the machine's load hits all of them alike.
  for (const p of prepared.values())
    for (const mode of f.modes)
      for (let seed = 1; seed <= f.seeds; seed++)
        for (const method of methods) {
          const overrides = method.startsWith("grades:") ? f.variants[method.slice(7)] : undefined;
          const grades = method.startsWith("grades")
            ? specOf({ mode, method, examples: p.trainExamples, seed, files, overrides }).grades
            : undefined;
          const key: RunKey = {
            task: p.task.name,
            mode,
            method,
            seed,
            setup,
            ...(overrides ? { overrides } : {}),
            ...(grades ? { grades } : {}),
          };
          if (!done.has(keyOf(key))) plan.push({ p, key });
        }

  // Upper bound: every remaining run at the full budget, plus a test scoring of about one training epoch.
  const estimate = { wall: 0, cpu: 0 };
  const perStep = new Map<string, { wall: number; cpu: number }>();
  for (const p of prepared.values())
    for (const mode of f.modes) {
      const runs = plan.filter((r) => r.p === p && r.key.mode === mode);
      if (runs.length === 0) continue;
      const sec = await probeStepSeconds(p, mode, modelDir, root, specOf);
      perStep.set(`${p.task.name}|${mode}`, sec);
      const steps = budgetSteps(p, mode);
      const scorings = runs.reduce((n, r) => n + (r.key.method === "trajectory" ? f.trajectoryPoints : 1), 0);
      const work = runs.length * steps + (scorings * steps) / f.epochs;
      estimate.wall += work * sec.wall;
      estimate.cpu += work * sec.cpu;
    }
  process.stdout.write(
    `${plan.length} runs to do (${done.size} cached); estimated at most ${fmtSeconds(estimate.wall)} at the ` +
      `machine's present load, ${fmtSeconds(estimate.cpu)} of CPU time ` +
      `(per step, wall / CPU: ${[...perStep].map(([k, s]) => `${k} ${(s.wall * 1000).toFixed(0)} / ${(s.cpu * 1000).toFixed(0)} ms`).join(", ")})\n`,
  );
  if (f.estimateOnly) return;

  let i = 0;
  for (const { p, key } of plan) {
    i++;
    const dir = runDir(root, key);
    const spec = specOf({
      mode: key.mode,
      method: key.method,
      examples: p.trainExamples,
      seed: key.seed,
      files: {
        modelDir,
        trainFile: p.trainFile,
        validationFile: p.validationFile,
        outputDir: join(dir, "out"),
      },
      overrides: key.overrides,
      // A trajectory's checkpoints: about --trajectory-points of them, evenly over the budget.
      checkpoints: {
        dir: join(dir, "checkpoints"),
        every: Math.max(1, Math.round(budgetSteps(p, key.mode) / f.trajectoryPoints)),
      },
    });
    const record = await runOne({
      key,
      spec: { ...spec, backend: f.backend },
      config,
      testFile: p.testFile,
      choices: p.task.choices,
      validationTokens: p.validationTokens,
    });
    await appendResult(resultsFile, record);
    done.set(keyOf(record), record);
    process.stdout.write(
      `[${i}/${plan.length}] ${key.task} ${key.mode} ${key.method} seed ${key.seed}: ${record.wallSeconds.toFixed(1)} s (CPU ${record.cpuSeconds.toFixed(1)} s), ` +
        `${record.steps}/${record.budgetSteps} steps (${record.stopReason}), accuracy ${record.testAccuracy.toFixed(3)}, ` +
        `frozen ${record.frozenFraction.toFixed(2)}\n`,
    );
  }

  const runs = [...done.values()].filter((r) => r.setup === setup);
  const tables: string[] = [];
  for (const p of prepared.values())
    for (const mode of f.modes) {
      tables.push(taskTable(p.task.name, mode, runs, p.refs));
      const trajectory = trajectoryTable(p.task.name, mode, runs);
      if (trajectory) tables.push(trajectory);
    }
  process.stdout.write(`\n${tables.join("\n")}\n`);
  const plots = await writeBenchPlots(
    join(root, "plots"),
    runs.filter((r) => f.tasks.includes(r.task) && f.modes.includes(r.mode)),
  );
  process.stdout.write(`plots: ${plots.join(", ")}\n`);
}

const program = new Command("bench:grades")
  .requiredOption("--model <dir>", "base model folder (Hugging Face format, with tokenizer.json)")
  .option("--tasks <list>", "tasks", list(Object.keys(TASKS), "--tasks"), Object.keys(TASKS))
  .option("--modes <list>", "training modes", list(MODES, "--modes"), [...MODES])
  .option("--methods <list>", `methods (${ALL_METHODS.join(", ")})`, list(ALL_METHODS, "--methods"), [
    ...METHODS,
  ])
  .option("--trajectory-points <n>", "checkpoints a trajectory run scores", positiveInt, 20)
  .option("--variants <json>", 'GradES variants to add, {"name": {GradES options}}', variants, {})
  .option("--seeds <n>", "seeds per configuration", positiveInt, 3)
  .option(
    "--quick",
    `smaller subsamples (${Object.values(QUICK_SIZES).join("/")} instead of ${Object.values(FULL_SIZES).join("/")})`,
  )
  .option("--train-examples <n>", "training examples per task (overrides the size preset)", positiveInt)
  .option("--test-examples <n>", "test examples per task (overrides the size preset)", positiveInt)
  .option(
    "--lr-multiplier <x>",
    "the service's learning_rate_multiplier for every method (default: the model's own, as a job's \"auto\")",
    (v: string) => {
      const x = Number(v);
      if (!(x > 0)) throw new InvalidArgumentError(`--lr-multiplier must be positive, got ${v}`);
      return x;
    },
  )
  .option("--epochs <n>", "the step budget in epochs", positiveInt, 3)
  .option(
    "--batch-size <n>",
    "the service's batch_size for every method (default: its auto value)",
    positiveInt,
  )
  .option("--out <dir>", "results, data files and plots", "bench-results/grades")
  .option("--backend <name>", `compute backend (${BACKENDS.join(", ")})`, "wasm")
  .addOption(threadsOption())
  .option("--estimate-only", "print the plan and the time estimate, run nothing")
  .action((flags: Flags) => main(flags));

await program.parseAsync();
