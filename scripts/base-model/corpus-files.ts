// Writes the split corpus for the build: train/validation `{"text"}` JSONL (one document a line) and the
// tokenizer trainer's input (training documents only, one paragraph a line), streaming document by document.
// The inputs hash covers the recipe and every document's id and text.
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";
import { CORPUS_SOURCES, corpusDocuments, packageVersion } from "./corpus.ts";
import type { BaseModelRecipe } from "./recipe.ts";
import { isHeldOut } from "./split.ts";

export interface SourceStats {
  package: string;
  version: string;
  licence: string;
  trainDocuments: number;
  validationDocuments: number;
  characters: number;
}

export interface CorpusManifest {
  inputsHash: string;
  sources: SourceStats[];
}

async function write(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, "drain");
}

async function close(stream: WriteStream): Promise<void> {
  stream.end();
  await once(stream, "finish");
}

export async function writeCorpusFiles(
  recipe: BaseModelRecipe,
  files: { train: string; validation: string; sentences: string },
): Promise<CorpusManifest> {
  const hash = createHash("sha256").update(JSON.stringify(recipe));
  const train = createWriteStream(files.train);
  const validation = createWriteStream(files.validation);
  const sentences = createWriteStream(files.sentences);
  const stats = new Map<string, SourceStats>(
    CORPUS_SOURCES.map((s) => [
      s.package,
      {
        package: s.package,
        version: packageVersion(s.package),
        licence: s.licence,
        trainDocuments: 0,
        validationDocuments: 0,
        characters: 0,
      },
    ]),
  );
  for await (const doc of corpusDocuments()) {
    hash.update(`\u0000${doc.id}\u0000${doc.text}`);
    const s = stats.get(doc.source)!;
    s.characters += doc.text.length;
    const line = `${JSON.stringify({ text: doc.text })}\n`;
    if (isHeldOut(doc.id, recipe.seed, recipe.validationFraction)) {
      s.validationDocuments++;
      await write(validation, line);
    } else {
      s.trainDocuments++;
      await write(train, line);
      for (const p of doc.text.split("\n")) if (p.trim().length > 0) await write(sentences, `${p}\n`);
    }
  }
  await Promise.all([close(train), close(validation), close(sentences)]);
  return { inputsHash: hash.digest("hex"), sources: [...stats.values()] };
}
