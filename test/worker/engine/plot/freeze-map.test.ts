import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { XMLParser } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freezeMapSpec, gCurvesSpec } from "../../../../worker/engine/plot/freeze-map.ts";
import { renderSvg } from "../../../../worker/engine/plot/render.ts";
import { writeTrainPlots } from "../../../../worker/engine/plot/train-plots.ts";
import { train } from "../../../../worker/engine/train/train.ts";
import type { TrainSummary } from "../../../../worker/engine/train/types.ts";
import { gSeriesOf as gSeries } from "../../../support/freeze-map-svg.ts";
import { makeTempDir } from "../support/tmp-dir.ts";
import { baseSpec, makeTinyModel, writeCountingData } from "../train/support/fixtures.ts";

let root: string;
let cleanup: () => Promise<void>;
let summary: TrainSummary;

beforeAll(async () => {
  ({ dir: root, cleanup } = await makeTempDir("grades-plot-"));
  await makeTinyModel(join(root, "model"));
  await writeCountingData(join(root, "train.jsonl"), 12, 10);
  summary = await train(
    baseSpec(root, {
      nEpochs: 4,
      grades: {
        enabled: true,
        tau: 0,
        relativeTau: 0.9,
        alpha: 0.2,
        metric: "grad_change",
        normalize: "mean",
        interval: 1,
        maxFrozenRatio: 1,
      },
    }),
  );
});

afterAll(async () => {
  await cleanup();
});

describe("the freeze map", () => {
  it("renders a real run's summary to SVG that parses, with one G series per tracked component", async () => {
    expect(summary.components.length).toBe(14);
    const svg = await renderSvg(freezeMapSpec(summary));
    const series = gSeries(svg);
    expect(series.sort()).toEqual(summary.components.map((c) => c.name).sort());
  });

  it("draws one layer's components only when asked for a layer", async () => {
    const svg = await renderSvg(gCurvesSpec(summary, { layer: 1 }));
    const layer1 = summary.components.map((c) => c.name).filter((n) => n.includes(".layers.1."));
    expect(gSeries(svg).sort()).toEqual(layer1.sort());
  });

  it("grades train's plots are written next to the outputs and parse as SVG", async () => {
    const paths = await writeTrainPlots(join(root, "out"), summary, true);
    expect(paths.map((p) => p.split("/").at(-1))).toEqual(["freeze-map.svg", "loss.svg"]);
    for (const p of paths) {
      const text = await readFile(p, "utf8");
      const tree = new XMLParser({ ignoreAttributes: false }).parse(text, true);
      expect(tree.svg).toBeDefined();
    }
  });
});
