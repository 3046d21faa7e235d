// The engine index's way to the plots: vega and vega-lite are large, so they load on the first plot rather than
// with the engine (the API and the worker import the index at start).
import type { FreezeMapInput } from "./freeze-map.ts";

/** The freeze map of a run as an SVG document (see freeze-map.ts). */
export async function freezeMapSvg(input: FreezeMapInput): Promise<string> {
  const plots = await import("./freeze-map.ts");
  return plots.freezeMapSvg(input);
}
