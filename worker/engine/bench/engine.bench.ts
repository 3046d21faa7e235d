// Engine benchmark: tokens/second of a LoRA training step on a stated tiny model, the cost of GradES's
// monitoring as a fraction of step time, and the step time with half of the components frozen.
// Configurations are interleaved round by round and compared by median, so drifting machine load hits all alike;
// the process CPU time per step is reported next to wall time, since on a shared machine it is the steadier
// measure (the wasm backend runs on this thread).
// Then (first, in fact) the throughput of LoRA and full fine-tuning on one thread, on every core, and in PyTorch
// on CPU when python3-torch is installed, side by side (side-by-side.ts), with the ratio and scaling efficiency.
// Then what freezing saves (frozen-layers.ts): step time with the lowest k layers frozen, with and without the
// activation cache, and a short GradES run of the built-in model with and without it.
// Usage: npm run bench:engine [-- --backend wasm --steps 12 --threads 2 --rounds 4 --round-steps 8
//   --compare-warmup 30 --only compare|tables|freeze]
//   [--configs <regex>: compare only the configurations whose names match, e.g. "1 thread$|replicas$|pytorch"]
//   [--freeze-steps 6 --e2e-examples 400 --e2e-epochs 3 --model models/tiny-english-2m]
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs-core";
import { backendLabel, initBackend } from "../backend.ts";
import { ATTENTION, ATTENTION_GRAD } from "../kernels/attention.ts";
import { loadBlas } from "../kernels/blas.ts";
import { CROSS_ENTROPY } from "../kernels/cross-entropy.ts";
import { LORA_LINEAR, LORA_LINEAR_GRAD } from "../kernels/lora-linear.ts";
import { initTinyModel } from "../model/init.ts";
import { loadModel } from "../model/loader.ts";
import { resolveThreadCount } from "../parallel/threads.ts";
import { Trainer } from "../train/trainer.ts";
import type { BackendName } from "../train/types.ts";
import { BATCH, LORA_R, MODEL, median, randomData, SEQ, benchSpec as spec } from "./bench-model.ts";
import {
  type EndToEndResult,
  type EndToEndVariant,
  endToEnd,
  frozenStepTable,
  printEndToEnd,
  printFrozenStepTable,
} from "./frozen-layers.ts";
import { type KernelSaving, kernelSaving } from "./kernel-saving.ts";
import { monitoringCost, printMonitoringCost } from "./monitoring.ts";
import { type Configuration, sideBySide, torchPython } from "./side-by-side.ts";

const { values: args } = parseArgs({
  options: {
    backend: { type: "string", default: "wasm" },
    steps: { type: "string", default: "12" },
    warmup: { type: "string", default: "3" },
    threads: { type: "string" },
    rounds: { type: "string", default: "4" },
    "round-steps": { type: "string", default: "8" },
    "compare-warmup": { type: "string", default: "30" },
    only: { type: "string" },
    configs: { type: "string" },
    "freeze-steps": { type: "string", default: "6" },
    "e2e-examples": { type: "string", default: "400" },
    "e2e-epochs": { type: "string", default: "3" },
    model: { type: "string", default: "models/tiny-english-2m" },
  },
});

const ms = (seconds: number) => `${(seconds * 1000).toFixed(1).padStart(8)} ms`;

const gb = (bytes: number | undefined) => (bytes === undefined ? "-" : `${(bytes / 2 ** 30).toFixed(2)} GB`);

async function compare(): Promise<void> {
  const threads = resolveThreadCount(args.threads === undefined ? undefined : Number(args.threads));
  const python = torchPython();
  const configs: Configuration[] = [];
  // The engine as it runs (OpenBLAS matmuls where the binding is built), and on XNNPACK's for reference.
  const blas = loadBlas().blas;
  for (const type of ["lora", "full"] as const) {
    configs.push({ name: `engine ${type}, 1 thread`, kind: "engine", type, threads: 1 });
    if (threads > 1) {
      configs.push({ name: `engine ${type}, ${threads} replicas`, kind: "engine", type, threads });
      configs.push({
        name: `engine ${type}, ${threads}-thread wasm`,
        kind: "engine",
        type,
        threads,
        parallel: "threaded",
      });
    }
    if (blas) {
      const x = { kind: "engine", type, matMul: "xnnpack" } as const;
      configs.push({ ...x, name: `engine ${type}, 1 thread, xnnpack`, threads: 1 });
      if (threads > 1) configs.push({ ...x, name: `engine ${type}, ${threads} replicas, xnnpack`, threads });
    }
    if (python) {
      configs.push({ name: `pytorch ${type}, ${threads} threads`, kind: "torch", type, threads });
      // PyTorch is not always fastest on every core (OpenBLAS's and torch's thread pools on a small machine):
      // the engine is compared with its best configuration too.
      if (threads > 1) configs.push({ name: `pytorch ${type}, 1 thread`, kind: "torch", type, threads: 1 });
    }
  }
  if (args.configs !== undefined) {
    const keep = new RegExp(args.configs);
    configs.splice(0, configs.length, ...configs.filter((c) => keep.test(c.name)));
  }
  console.log(blas ? `engine matmuls: ${blas.config()}` : `engine matmuls: XNNPACK (${loadBlas().reason})`);
  const rounds = Number(args.rounds);
  const stepsPerRound = Number(args["round-steps"]);
  // Each process warms up alone first: a replica thread's JavaScript (tfjs' between its kernels) runs in an
  // isolate of its own, which optimises it over its first 15-20 steps (measured: 2 replicas went from 3,100 to
  // 5,400 tokens/s over 40 steps, one thread from 3,000 to 3,300), and a training job runs hundreds of steps.
  const warmupSteps = Number(args["compare-warmup"]);
  console.log(
    `throughput side by side: ${configs.length} processes, ${rounds} rounds of ${stepsPerRound} steps each after ` +
      `${warmupSteps} warmup steps, order alternating; median step time`,
  );
  if (!python)
    console.log("pytorch: skipped (python3-torch is not importable; apt-get install python3-torch)");
  const results = await sideBySide(configs, { rounds, stepsPerRound, warmupSteps, python });
  const torchInfo = results.find((r) => r.config.kind === "torch")?.ready;
  if (torchInfo)
    console.log(`pytorch ${torchInfo.torch}, BLAS: ${torchInfo.blas}, ${torchInfo.threads} threads`);
  const find = (kind: string, type: string, t: number, parallel?: string, matMul?: string) =>
    results.find(
      (r) =>
        r.config.kind === kind &&
        r.config.type === type &&
        r.config.threads === t &&
        r.config.matMul === matMul &&
        (t === 1 || kind === "torch" || (r.config.parallel ?? "replicas") === (parallel ?? "replicas")),
    );
  const tps = (kind: string, type: string, t: number, parallel?: string, matMul?: string) =>
    find(kind, type, t, parallel, matMul)?.tokensPerSecond;
  for (const r of results) {
    const spread = r.perRound.map((x) => x.toFixed(0)).join(" ");
    console.log(
      `${r.config.name.padEnd(28)} ${r.tokensPerSecond.toFixed(0).padStart(6)} tokens/s   rounds: ${spread}   ` +
        `peak wasm heap ${gb(r.peak.wasmHeapBytes)}, rss ${gb(r.peak.rssBytes ?? r.peak.maxRssBytes)}`,
    );
  }
  const summary: Record<string, number | undefined> = {};
  for (const type of ["lora", "full"] as const) {
    const one = tps("engine", type, 1);
    const all = tps("engine", type, threads);
    const torch = tps("torch", type, threads);
    const threaded = tps("engine", type, threads, "threaded");
    const xnnpack = tps("engine", type, 1, undefined, "xnnpack");
    if (one && xnnpack) {
      summary[`${type}OpenblasOverXnnpack`] = one / xnnpack;
      console.log(`${type}: OpenBLAS matmuls / XNNPACK's, 1 thread = ${(one / xnnpack).toFixed(2)}x`);
    }
    if (one && all && threads > 1) {
      const eff = all / one / threads;
      summary[`${type}ScalingEfficiency`] = eff;
      console.log(
        `${type}: ${threads} replicas / 1 thread = ${(all / one).toFixed(2)}x, scaling efficiency ${(eff * 100).toFixed(0)}%`,
      );
    }
    if (one && threaded && threads > 1) {
      summary[`${type}ThreadedScaling`] = threaded / one;
      console.log(`${type}: ${threads}-thread wasm / 1 thread = ${(threaded / one).toFixed(2)}x`);
    }
    if (all && torch) {
      summary[`${type}OverPytorch`] = all / torch;
      console.log(
        `${type}: engine / pytorch on ${threads} threads = ${(all / torch).toFixed(2)}x (goal 1.2x)`,
      );
    }
    const torchOne = tps("torch", type, 1);
    // Either PyTorch configuration may be filtered out (--configs): the faster of those that ran.
    if (all && one && (torch || torchOne) && threads > 1) {
      const best = Math.max(torch ?? 0, torchOne ?? 0);
      summary[`${type}OverBestPytorch`] = all / best;
      console.log(
        `${type}: engine / pytorch at its faster thread count (${best === torch ? threads : 1}) = ${(all / best).toFixed(2)}x`,
      );
      // A run keeps its replicas only where they are faster than one thread (parallel/threads.ts).
      const engineBest = Math.max(all, one);
      summary[`${type}BestOverBestPytorch`] = engineBest / best;
      console.log(
        `${type}: engine at its faster configuration (${engineBest === all ? `${threads} replicas` : "1 thread"}) / pytorch at its faster = ${(engineBest / best).toFixed(2)}x (goal 1.2x)`,
      );
      // The same ratio round by round: both sides of a round ran minutes apart at most, so a machine whose speed
      // drifts over the run moves both alike, where the medians above may come from different stretches of it.
      const ours = find("engine", type, engineBest === all ? threads : 1)!.perRound;
      const theirs = find("torch", type, best === torch ? threads : 1)!.perRound;
      const paired = ours.map((x, i) => x / theirs[i]!);
      summary[`${type}BestOverBestPytorchPaired`] = median(paired);
      console.log(
        `${type}: the same, round by round: median ${median(paired).toFixed(2)}x, ` +
          `rounds ${paired.map((x) => x.toFixed(2)).join(" ")}`,
      );
    }
  }
  console.log(
    JSON.stringify({
      compare: results.map((r) => ({
        ...r.config,
        tokensPerSecond: r.tokensPerSecond,
        perRound: r.perRound,
        peak: r.peak,
      })),
      ...summary,
    }),
  );
}

/**
 * The GradES runs measured end to end: the product's defaults at the product's learning rate, and at 10x it
 * (docs/grades.md's benchmark rate, at which the built-in model learns and the runs converge).
 */
const E2E_VARIANTS: EndToEndVariant[] = [
  { label: "product defaults" },
  { label: "product defaults, learning rate x 10", lrMultiplier: 10 },
];

/** Step time with the lowest layers frozen, then the GradES runs end to end. */
async function freezing(dir: string, backend: string): Promise<void> {
  const load = loadavg().map((x) => x.toFixed(2));
  console.log(
    `\nload average before the freezing tables (1, 5, 15 min): ${load.join(", ")} on ${cpus().length} cores`,
  );
  const opts = { warmup: 2, steps: Number(args["freeze-steps"]) };
  const rows = await frozenStepTable(dir, backend, opts);
  printFrozenStepTable(rows, opts);
  const modelDir = resolve(args.model);
  const e2e: EndToEndResult[] = [];
  for (const [i, variant] of E2E_VARIANTS.entries()) {
    const e = await endToEnd(
      modelDir,
      join(dir, `e2e-${i}`),
      backend,
      Number(args["e2e-examples"]),
      Number(args["e2e-epochs"]),
      variant,
    );
    printEndToEnd(e, modelDir);
    e2e.push(e);
  }
  console.log(
    `load average after (1, 5, 15 min): ${loadavg()
      .map((x) => x.toFixed(2))
      .join(", ")}`,
  );
  console.log(JSON.stringify({ frozenLayers: rows, endToEnd: e2e }));
}

async function main(): Promise<void> {
  if (args.only !== "tables" && args.only !== "freeze") await compare();
  if (args.only === "compare") return;
  const threads = args.threads === undefined ? undefined : Number(args.threads);
  const backend = await initBackend(args.backend as BackendName, threads === undefined ? {} : { threads });
  const dir = await mkdtemp(join(tmpdir(), "grades-bench-"));
  try {
    await initTinyModel(dir, { preset: "qwen3-tiny", seed: 1, overrides: MODEL, withTokenizer: false });
    if (args.only === "freeze") return await freezing(dir, backendLabel(backend));
    const data = randomData(64);
    const make = async (grades: boolean, type: "lora" | "full" = "lora") => {
      const model = await loadModel(dir);
      return {
        model,
        trainer: new Trainer({ spec: spec(dir, grades, type), model, train: data, padId: 0, backend }),
      };
    };
    const configs = {
      off: await make(false),
      measuring: await make(true),
      halfFrozen: await make(true),
      lowerHalfFrozen: await make(true),
      fullNone: await make(true, "full"),
      fullHalf: await make(true, "full"),
    };
    const components = configs.halfFrozen.trainer.components;
    // Every other component: the weight gradients of half the LoRA factors are skipped.
    components.forEach((c, i) => {
      if (i % 2 === 0) configs.halfFrozen.trainer.freezeNow(c.name);
    });
    // Full fine-tuning, every other matrix frozen: its weight gradient (a matmul as large as the forward's) is skipped.
    configs.fullHalf.trainer.components.forEach((c, i) => {
      if (i % 2 === 0) configs.fullHalf.trainer.freezeNow(c.name);
    });
    // All components of the lower half of the layers: backpropagation also stops above them.
    for (const c of configs.lowerHalfFrozen.trainer.components) {
      if (c.layer < MODEL.num_hidden_layers! / 2) configs.lowerHalfFrozen.trainer.freezeNow(c.name);
    }
    // Wall and process-CPU milliseconds of every measured step, per configuration.
    const perConfig = () =>
      Object.fromEntries(Object.keys(configs).map((k) => [k, [] as number[]])) as Record<
        keyof typeof configs,
        number[]
      >;
    const times = perConfig();
    const cpu = perConfig();
    let tokens = 0;
    const warmup = Number(args.warmup);
    const steps = Number(args.steps);
    for (let round = 0; round < warmup + steps; round++) {
      // Alternate the order each round so no configuration always runs right after the same neighbour.
      const order = Object.keys(configs) as (keyof typeof configs)[];
      if (round % 2 === 1) order.reverse();
      for (const name of order) {
        const cpuStart = process.cpuUsage();
        const r = await configs[name].trainer.trainStep();
        const used = process.cpuUsage(cpuStart);
        if (round >= warmup) {
          times[name].push(r.seconds);
          cpu[name].push((used.user + used.system) / 1e6);
          if (name === "off") tokens = r.tokens;
        }
      }
    }

    // The monitoring itself, timed alone on one step's real gradients: build G on the device, one read.
    const t = configs.measuring.trainer;
    const grads = new Map(
      t.components.map((c) => [c.name, c.variables.map((v) => tf.randomNormal(v.shape))] as const),
    );
    const { GradesController } = await import("../train/grades.ts");
    const ctl = new GradesController(
      t.components.map((c) => ({ name: c.name, size: c.variables.reduce((n, v) => n + v.size, 0) })),
      spec(dir, true).grades,
      1_000_000,
    );
    ctl.observe(1, grads);
    const isolated: number[] = [];
    const isolatedCpu: number[] = [];
    for (let i = 2; i < 2 + 30; i++) {
      const start = performance.now();
      const cpuStart = process.cpuUsage();
      ctl.observe(i, grads);
      const used = process.cpuUsage(cpuStart);
      isolated.push((performance.now() - start) / 1000);
      isolatedCpu.push((used.user + used.system) / 1e6);
    }
    ctl.dispose();
    for (const ts of grads.values()) tf.dispose(ts);

    const off = median(times.off);
    const measuring = median(times.measuring);
    const half = median(times.halfFrozen);
    const lower = median(times.lowerHalfFrozen);
    const cpuLower = median(cpu.lowerHalfFrozen);
    const monitor = median(isolated);
    const cpuOff = median(cpu.off);
    const cpuMeasuring = median(cpu.measuring);
    const cpuHalf = median(cpu.halfFrozen);
    const fullNone = median(times.fullNone);
    const fullHalf = median(times.fullHalf);
    const cpuFullNone = median(cpu.fullNone);
    const cpuFullHalf = median(cpu.fullHalf);
    const cpuMonitor = median(isolatedCpu);
    const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
    const lines = [
      `backend: ${backendLabel(backend)}`,
      `model: qwen3-shaped, hidden ${MODEL.hidden_size}, intermediate ${MODEL.intermediate_size}, ${MODEL.num_hidden_layers} layers, ` +
        `${MODEL.num_attention_heads} heads / ${MODEL.num_key_value_heads} kv heads, vocab ${MODEL.vocab_size}; ` +
        `LoRA r ${LORA_R} on 7 projections (${components.length} components); batch ${BATCH} x ${SEQ} tokens`,
      `steps: ${steps} measured per configuration after ${warmup} warmup, interleaved; medians`,
      "                                wall time                      process CPU time",
      `LoRA step, GradES off:          ${ms(off)}  ${(tokens / off).toFixed(0)} tokens/s       ${ms(cpuOff)}  ${(tokens / cpuOff).toFixed(0)} tokens/s`,
      `LoRA step, GradES measuring:    ${ms(measuring)}  ${pct((measuring - off) / off)} vs off         ${ms(cpuMeasuring)}  ${pct((cpuMeasuring - cpuOff) / cpuOff)} vs off`,
      `GradES monitoring alone:        ${ms(monitor)}  ${pct(monitor / off)} of a step       ${ms(cpuMonitor)}  ${pct(cpuMonitor / cpuOff)} of a step`,
      `half frozen (every other one):  ${ms(half)}  ${pct(half / measuring)} of none frozen  ${ms(cpuHalf)}  ${pct(cpuHalf / cpuMeasuring)} of none frozen`,
      `half frozen (lower layers):     ${ms(lower)}  ${pct(lower / measuring)} of none frozen  ${ms(cpuLower)}  ${pct(cpuLower / cpuMeasuring)} of none frozen`,
      `full fine-tuning, none frozen:  ${ms(fullNone)}  ${(tokens / fullNone).toFixed(0)} tokens/s       ${ms(cpuFullNone)}  ${(tokens / cpuFullNone).toFixed(0)} tokens/s`,
      `full, every other one frozen:   ${ms(fullHalf)}  ${pct(fullHalf / fullNone)} of none frozen  ${ms(cpuFullHalf)}  ${pct(cpuFullHalf / cpuFullNone)} of none frozen`,
    ];
    for (const l of lines) console.log(l);
    console.log(
      JSON.stringify({
        backend,
        tokensPerSecond: tokens / off,
        stepMsGradesOff: off * 1000,
        stepMsGradesMeasuring: measuring * 1000,
        monitoringOverheadFraction: (measuring - off) / off,
        monitoringAloneFraction: monitor / off,
        stepMsHalfFrozen: half * 1000,
        halfFrozenOverNoneFrozen: half / measuring,
        lowerHalfFrozenOverNoneFrozen: lower / measuring,
        fullStepMsNoneFrozen: fullNone * 1000,
        fullHalfFrozenOverNoneFrozen: fullHalf / fullNone,
        cpu: {
          tokensPerSecond: tokens / cpuOff,
          monitoringOverheadFraction: (cpuMeasuring - cpuOff) / cpuOff,
          monitoringAloneFraction: cpuMonitor / cpuOff,
          halfFrozenOverNoneFrozen: cpuHalf / cpuMeasuring,
          lowerHalfFrozenOverNoneFrozen: cpuLower / cpuMeasuring,
          fullHalfFrozenOverNoneFrozen: cpuFullHalf / cpuFullNone,
        },
      }),
    );
    for (const c of Object.values(configs)) {
      c.trainer.dispose();
      c.model.dispose();
    }
    // Each compiled kernel against the composed ops it replaces, steps alternating (kernel-saving.ts).
    const savings: Record<string, KernelSaving | null> = {};
    for (const [label, names, trainingType] of [
      ["LoRA's projections as one kernel", [LORA_LINEAR, LORA_LINEAR_GRAD], "lora"],
      ["attention's core as one kernel", [ATTENTION, ATTENTION_GRAD], "lora"],
      ["attention's core as one kernel", [ATTENTION, ATTENTION_GRAD], "full"],
      ["the loss's cross-entropy as one kernel", [CROSS_ENTROPY], "lora"],
      ["the loss's cross-entropy as one kernel", [CROSS_ENTROPY], "full"],
    ] as const) {
      const saving = await kernelSaving(dir, backend, [...names], { warmup: 5, steps: 20, trainingType });
      savings[`${names[0]} ${trainingType}`] = saving ?? null;
      if (saving)
        console.log(
          `${label} against the composed ops (bench model, ${trainingType}, steps alternating, medians of 20): ` +
            `${saving.kernelMs.toFixed(1)} ms against ${saving.composedMs.toFixed(1)} ms, ` +
            `${(saving.kernelMs / saving.composedMs).toFixed(3)} of the time`,
        );
    }
    console.log(JSON.stringify({ kernelSavings: savings }));
    const monitoringSteps = 40;
    const monitoring = await monitoringCost(resolve(args.model), backend, {
      warmup: 5,
      steps: monitoringSteps,
    });
    printMonitoringCost(monitoring, args.model, monitoringSteps);
    console.log(JSON.stringify({ monitoring }));
    if (args.only !== "tables") await freezing(dir, backendLabel(backend));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
