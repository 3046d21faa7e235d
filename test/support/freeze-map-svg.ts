// Reads a freeze-map SVG back with a real XML parser: the component each line of its G chart belongs to.
import { XMLParser } from "fast-xml-parser";
import { G_SERIES_MARK } from "../../worker/engine/plot/freeze-map.ts";

type Node = Record<string, unknown>;

/** Every element named `tag` anywhere under `node` (fast-xml-parser's preserveOrder tree). */
function findAll(node: unknown, tag: string, out: Node[] = []): Node[] {
  if (Array.isArray(node)) for (const n of node) findAll(n, tag, out);
  else if (node && typeof node === "object") {
    for (const [k, v] of Object.entries(node)) {
      if (k === tag) out.push(node as Node);
      if (k !== ":@") findAll(v, tag, out);
    }
  }
  return out;
}

const attrs = (n: Node) => (n[":@"] ?? {}) as Record<string, string>;

/** Parses (and validates) the SVG; one entry per line of the G chart, the component vega labelled it with. */
export function gSeriesOf(svg: string): string[] {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", preserveOrder: true });
  const groups = findAll(parser.parse(svg, true), "g").filter((g) =>
    attrs(g).class?.split(" ").includes(`${G_SERIES_MARK}_marks`),
  );
  return groups.flatMap((g) =>
    findAll(g.g, "path").map((p) => /component: ([^;]+)/.exec(attrs(p)["aria-label"] ?? "")?.[1] ?? "?"),
  );
}
