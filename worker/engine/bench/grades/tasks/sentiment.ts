// UCI Sentiment Labelled Sentences (Kotzias et al., 2015): 1,000 sentences each from Amazon, IMDb and Yelp
// reviews, half positive, as shipped in the `sentiment` package's test fixtures.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { ClassificationTask, LabeledText } from "./types.ts";

const SOURCES = ["amazon", "imdb", "yelp"] as const;

interface Row {
  text: string;
  class: 0 | 1 | null;
}

async function load(): Promise<LabeledText[]> {
  const root = dirname(createRequire(import.meta.url).resolve("sentiment/package.json"));
  const out: LabeledText[] = [];
  for (const source of SOURCES) {
    const rows = JSON.parse(
      await readFile(join(root, "test", "fixtures", `${source}.json`), "utf8"),
    ) as Row[];
    // Each file ends with an empty row ({text: "", class: null}), an artefact of its conversion.
    const last = rows.at(-1);
    if (last && last.text === "" && last.class === null) rows.pop();
    rows.forEach((r, i) => {
      if (r.class !== 0 && r.class !== 1) throw new Error(`${source}.json row ${i}: class ${r.class}`);
      out.push({ text: r.text.trim(), label: r.class, group: `${source}-${i}` });
    });
  }
  return out;
}

export const sentimentTask: ClassificationTask = {
  name: "sentiment",
  source: "sentiment@5.0.2 (test/fixtures, UCI Sentiment Labelled Sentences; package MIT, data CC BY 4.0)",
  classes: ["negative", "positive"],
  choices: [" negative", " positive"],
  load,
  prompt: (text) => `Review: ${text}\nSentiment:`,
};
