// The freeze map of a training run, drawn from its summary (summary.json, or a job's GradES view): when each
// tracked matrix froze, the frozen fraction over the steps (the paper's Figure 3), and each component's G over
// the steps (its Figure 1). One line per component in the G chart, named by the component's HF path.
import type { TrainSummary } from "../train/types.ts";
import { type PlotSpec, renderSvg, stepAxis } from "./render.ts";

/** The parts of a summary the freeze map reads. */
export type FreezeMapInput = Pick<TrainSummary, "history" | "components" | "stepsCompleted" | "totalSteps">;

/** Name of the line mark that carries one series per component (tests find the series by it). */
export const G_SERIES_MARK = "g_series";

/** "model.layers.3.self_attn.q_proj" → 3 (undefined for a name without a layer). */
export function layerOf(component: string): number | undefined {
  const m = /\.layers\.(\d+)\./.exec(component);
  return m ? Number(m[1]) : undefined;
}

/** Points {step, component, G} of the history, leaving out steps where a component had no (finite, >0) G. */
export function gPoints(
  input: FreezeMapInput,
  layer?: number,
): { step: number; component: string; G: number }[] {
  const out: { step: number; component: string; G: number }[] = [];
  for (const h of input.history)
    for (const [component, g] of Object.entries(h.metrics)) {
      if (g === null || !(g > 0) || !Number.isFinite(g)) continue;
      if (layer !== undefined && layerOf(component) !== layer) continue;
      out.push({ step: h.step, component, G: g });
    }
  return out;
}

/** G of each component over the steps, log scale; only `layer`'s components when given. */
export function gCurvesSpec(input: FreezeMapInput, opts: { layer?: number; title?: string } = {}): PlotSpec {
  const values = gPoints(input, opts.layer);
  return {
    title:
      opts.title ?? (opts.layer === undefined ? "G per component" : `G per component, layer ${opts.layer}`),
    width: 560,
    height: 260,
    data: { values },
    name: G_SERIES_MARK,
    mark: { type: "line", strokeWidth: 1.2, clip: true },
    encoding: {
      x: stepAxis(input.totalSteps),
      y: { field: "G", type: "quantitative", title: "G (the run's GradES metric)", scale: { type: "log" } },
      color: { field: "component", type: "nominal", title: "component", legend: values.length ? {} : null },
    },
  } as PlotSpec;
}

/** Frozen fraction of the tracked components against the step. */
export function frozenFractionSpec(input: FreezeMapInput): PlotSpec {
  return {
    title: "frozen fraction",
    width: 560,
    height: 140,
    data: { values: input.history.map((h) => ({ step: h.step, frozen: h.frozenFraction })) },
    mark: { type: "line", interpolate: "step-after" },
    encoding: {
      x: stepAxis(input.totalSteps),
      y: { field: "frozen", type: "quantitative", title: "frozen fraction", scale: { domain: [0, 1] } },
    },
  } as PlotSpec;
}

/** One bar per component, from step 0 to the step it froze (or to the end of the run, if it never did). */
export function timelineSpec(input: FreezeMapInput): PlotSpec {
  const values = input.components.map((c) => ({
    component: c.name,
    end: c.frozenAtStep ?? input.stepsCompleted,
    state: c.frozenAtStep === null ? "trained to the end" : "frozen",
  }));
  return {
    title: "training until frozen",
    width: 560,
    height: { step: 9 },
    data: { values },
    mark: { type: "bar" },
    encoding: {
      y: { field: "component", type: "nominal", sort: null, title: null, axis: { labelFontSize: 8 } },
      x: { field: "end", type: "quantitative", title: "step", scale: { domain: [0, input.totalSteps] } },
      color: {
        field: "state",
        type: "nominal",
        title: null,
        scale: { domain: ["frozen", "trained to the end"] },
      },
    },
  } as PlotSpec;
}

/** The whole freeze map: timeline, frozen fraction and G curves of every component, stacked. */
export function freezeMapSpec(input: FreezeMapInput): PlotSpec {
  const parts = [timelineSpec(input), frozenFractionSpec(input), gCurvesSpec(input)];
  return { vconcat: parts as never[], resolve: { scale: { color: "independent" } } } as PlotSpec;
}

/** The freeze map as an SVG document (what `grades train` writes and the job's /grades route can serve). */
export async function freezeMapSvg(input: FreezeMapInput): Promise<string> {
  return renderSvg(freezeMapSpec(input));
}
