// GET /v1/fine_tuning/jobs/{id}/grades/plot: the job's freeze map as an SVG picture (the engine's renderer, the
// same plot `grades train` writes), drawn from the progress the worker records: a bar per matrix until it froze,
// the frozen fraction over the steps, and each matrix's G over the steps.
import type { JobProgress } from "../../../db/queue/progress.ts";
import { type FreezeMapInput, freezeMapSvg } from "../../../worker/engine/index.ts";

/** The renderer's input from a job's recorded progress (snake_case as stored). */
export function freezeMapInputOf(p: JobProgress): FreezeMapInput {
  return {
    history: p.history.map((h) => ({
      step: h.step,
      trainLoss: h.train_loss,
      frozenFraction: h.frozen_fraction,
      metrics: h.metrics ?? {},
    })),
    components: Object.entries(p.components).map(([name, c]) => ({
      name,
      frozenAtStep: c.frozen_at_step,
      lastMetric: c.latest_metric,
    })),
    stepsCompleted: p.steps_completed,
    totalSteps: p.total_steps ?? p.steps_completed,
  };
}

export async function gradesPlotResponse(p: JobProgress): Promise<Response> {
  return new Response(await freezeMapSvg(freezeMapInputOf(p)), {
    status: 200,
    headers: { "content-type": "image/svg+xml; charset=utf-8" },
  });
}
