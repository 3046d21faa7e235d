// Vega-Lite specs rendered to SVG in Node: compiled by vega-lite, laid out by vega's headless View (no canvas,
// no browser). Every plot of the engine and the benchmark goes through here.
import * as vega from "vega";
import type { TopLevelSpec } from "vega-lite";
import * as vl from "vega-lite";

export type PlotSpec = TopLevelSpec;

/** A light, readable default look shared by all plots. */
const CONFIG = {
  font: "sans-serif",
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridOpacity: 0.4 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320 },
  title: { fontSize: 14, anchor: "start" as const },
  view: { stroke: "#ccc" },
};

export async function renderSvg(spec: PlotSpec): Promise<string> {
  const compiled = vl.compile({
    ...spec,
    config: { ...CONFIG, ...(spec.config ?? {}) },
  } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The x encoding every training plot shares: the optimizer step, over the whole budget. */
export function stepAxis(totalSteps: number) {
  return { field: "step", type: "quantitative" as const, title: "step", scale: { domain: [0, totalSteps] } };
}
