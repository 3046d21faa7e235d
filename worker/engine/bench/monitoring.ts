// What GradES's monitoring costs per step on the built-in model, the model of docs/grades.md's benchmark: its
// steps (batch 2 of short examples) are small, so a fixed cost per tracked tensor weighs more than on the bench
// model. GradES measuring every component at every step (tau 0, so nothing freezes), with the default metric
// (grad_change, one compiled kernel) and with grad_snr (tfjs ops), against GradES off, for LoRA and full
// fine-tuning, steps interleaved, medians of wall and process CPU time.
import { loadModel } from "../model/loader.ts";
import { Trainer } from "../train/trainer.ts";
import { benchSpec, median, randomData } from "./bench-model.ts";

/** The benchmark's shape: batch 2 (its auto value for 240 examples), examples of 80 tokens. */
const BATCH = 2;
const LENGTH = 80;

export interface MonitoringCost {
  type: "lora" | "full";
  offMs: number;
  onMs: number;
  cpuOffMs: number;
  cpuOnMs: number;
  /** The same with metric grad_snr. */
  snrMs: number;
  cpuSnrMs: number;
}

const CONFIGS = ["off", "on", "snr"] as const;

export async function monitoringCost(
  modelDir: string,
  backend: string,
  opts: { warmup: number; steps: number },
): Promise<MonitoringCost[]> {
  const out: MonitoringCost[] = [];
  for (const type of ["lora", "full"] as const) {
    const make = async (config: (typeof CONFIGS)[number]) => {
      const model = await loadModel(modelDir);
      const base = benchSpec(modelDir, config !== "off", type);
      const grades = {
        ...base.grades,
        metric: config === "snr" ? ("grad_snr" as const) : base.grades.metric,
      };
      const spec = { ...base, grades, batchSize: BATCH, maxSeqLen: LENGTH };
      const train = randomData(64, LENGTH, model.config.vocab_size);
      return { model, trainer: new Trainer({ spec, model, train, padId: 0, backend }) };
    };
    const runs = { off: await make("off"), on: await make("on"), snr: await make("snr") };
    const wall = { off: [] as number[], on: [] as number[], snr: [] as number[] };
    const cpu = { off: [] as number[], on: [] as number[], snr: [] as number[] };
    for (let i = 0; i < opts.warmup + opts.steps; i++) {
      // Each configuration leads in turn.
      const order = CONFIGS.map((_, k) => CONFIGS[(i + k) % CONFIGS.length]!);
      for (const k of order) {
        const start = process.cpuUsage();
        const r = await runs[k].trainer.trainStep();
        const used = process.cpuUsage(start);
        if (i < opts.warmup) continue;
        wall[k].push(r.seconds * 1000);
        cpu[k].push((used.user + used.system) / 1000);
      }
    }
    for (const r of Object.values(runs)) {
      r.trainer.dispose();
      r.model.dispose();
    }
    out.push({
      type,
      offMs: median(wall.off),
      onMs: median(wall.on),
      cpuOffMs: median(cpu.off),
      cpuOnMs: median(cpu.on),
      snrMs: median(wall.snr),
      cpuSnrMs: median(cpu.snr),
    });
  }
  return out;
}

export function printMonitoringCost(rows: MonitoringCost[], modelDir: string, steps: number): void {
  console.log(
    `\nGradES monitoring on ${modelDir} (batch ${BATCH} x ${LENGTH} tokens, every component measured every step, ` +
      `${steps} interleaved steps each, medians):`,
  );
  for (const r of rows) {
    const pct = (on: number, off: number) => `${(((on - off) / off) * 100).toFixed(1)}%`;
    console.log(
      `${r.type.padEnd(5)} off ${r.offMs.toFixed(2)} ms, measuring ${r.onMs.toFixed(2)} ms: ${pct(r.onMs, r.offMs)} wall, ` +
        `${pct(r.cpuOnMs, r.cpuOffMs)} CPU; grad_snr ${r.snrMs.toFixed(2)} ms: ${pct(r.snrMs, r.offMs)} wall, ` +
        `${pct(r.cpuSnrMs, r.cpuOffMs)} CPU`,
    );
  }
}
