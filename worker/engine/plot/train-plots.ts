// The plots `grades train` writes next to its outputs: the freeze map (when GradES ran) and the loss curve.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { TrainSummary } from "../train/types.ts";
import { freezeMapSvg } from "./freeze-map.ts";
import { type PlotSpec, renderSvg, stepAxis } from "./render.ts";

export function lossSpec(summary: Pick<TrainSummary, "history" | "totalSteps">): PlotSpec {
  return {
    title: "training loss",
    width: 560,
    height: 220,
    data: { values: summary.history.filter((h) => Number.isFinite(h.trainLoss)) },
    mark: { type: "line" },
    encoding: {
      x: stepAxis(summary.totalSteps),
      y: { field: "trainLoss", type: "quantitative", title: "loss (nats per token)", scale: { zero: false } },
    },
  } as PlotSpec;
}

/** Writes <dir>/freeze-map.svg (if any component was tracked by GradES) and <dir>/loss.svg; returns the paths. */
export async function writeTrainPlots(
  dir: string,
  summary: TrainSummary,
  gradesEnabled: boolean,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  if (gradesEnabled) {
    const path = join(dir, "freeze-map.svg");
    await writeFile(path, await freezeMapSvg(summary));
    written.push(path);
  }
  const loss = join(dir, "loss.svg");
  await writeFile(loss, await renderSvg(lossSpec(summary)));
  written.push(loss);
  return written;
}
