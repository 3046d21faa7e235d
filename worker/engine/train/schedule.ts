// Learning-rate schedules, the same functions as Hugging Face transformers' get_*_schedule_with_warmup:
// the multiplier for optimizer step `step` (0-based) rises linearly from 0 over the warmup steps, then decays.

export type LrSchedulerName = "cosine" | "linear" | "constant";

export interface LrSchedule {
  baseLr: number;
  warmupSteps: number;
  totalSteps: number;
  kind: LrSchedulerName;
}

/** Warmup steps as transformers computes them from a ratio: ceil(ratio * total). */
export function warmupStepsFor(ratio: number, totalSteps: number): number {
  return Math.ceil(ratio * totalSteps);
}

/** The learning rate used by the optimizer step with 0-based index `step`. */
export function learningRateAt(s: LrSchedule, step: number): number {
  if (step < s.warmupSteps) return (s.baseLr * step) / Math.max(1, s.warmupSteps);
  if (s.kind === "constant") return s.baseLr;
  const decaySteps = Math.max(1, s.totalSteps - s.warmupSteps);
  const progress = (step - s.warmupSteps) / decaySteps;
  if (s.kind === "linear") return s.baseLr * Math.max(0, (s.totalSteps - step) / decaySteps);
  return s.baseLr * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
}
