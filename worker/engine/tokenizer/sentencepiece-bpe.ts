// Converts a SentencePiece BPE model (as listed by `spm_export_vocab`: one "piece<TAB>score" per line, in id order)
// into a Hugging Face tokenizer.json of the Llama family: metaspace ("▁") normalisation, split into words at
// each "▁", BPE with byte fallback, and merges rebuilt from the vocabulary as transformers' SentencePieceExtractor does.

/** SentencePiece's word-boundary marker. */
export const METASPACE = "\u2581";
const BYTE_PIECE = /^<0x[0-9A-F]{2}>$/;

export interface SentencePieceVocabEntry {
  piece: string;
  score: number;
}

export function parseSentencePieceVocab(text: string): SentencePieceVocabEntry[] {
  return text
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line, i) => {
      const tab = line.lastIndexOf("\t");
      if (tab < 0) throw new Error(`vocab line ${i + 1} has no tab`);
      return { piece: line.slice(0, tab), score: Number(line.slice(tab + 1)) };
    });
}

export interface HfBpeOptions {
  /** Pieces that are special tokens (<unk>, <s>, </s>, control symbols): never split or merged. */
  specialTokens: string[];
  unkToken: string;
}

/**
 * Merges as transformers' SentencePieceExtractor builds them: every split of a piece into two pieces of the
 * vocabulary is a merge, ranked by the merged piece's score (higher first), ties by the parts' ids.
 */
function mergesOf(
  entries: SentencePieceVocabEntry[],
  vocab: Map<string, number>,
  skip: Set<string>,
): string[] {
  const merges: { left: string; right: string; score: number; id: number }[] = [];
  entries.forEach(({ piece, score }, id) => {
    if (skip.has(piece)) return;
    const chars = Array.from(piece); // code points, so a split never cuts a surrogate pair
    const local: { left: string; right: string }[] = [];
    for (let i = 1; i < chars.length; i++) {
      const left = chars.slice(0, i).join("");
      const right = chars.slice(i).join("");
      if (vocab.has(left) && vocab.has(right) && !skip.has(left) && !skip.has(right))
        local.push({ left, right });
    }
    local.sort(
      (a, b) => vocab.get(a.left)! - vocab.get(b.left)! || vocab.get(a.right)! - vocab.get(b.right)!,
    );
    for (const m of local) merges.push({ ...m, score, id });
  });
  // A stable sort by score keeps the per-piece order; equal scores fall back to the merged piece's id.
  merges.sort((a, b) => b.score - a.score || a.id - b.id);
  return merges.map((m) => `${m.left} ${m.right}`);
}

/** The tokenizer.json object for a SentencePiece BPE vocabulary trained with byte_fallback. */
export function sentencePieceToHfTokenizer(
  entries: SentencePieceVocabEntry[],
  opts: HfBpeOptions,
): Record<string, unknown> {
  const vocab = new Map<string, number>();
  entries.forEach((e, id) => {
    if (vocab.has(e.piece)) throw new Error(`piece ${JSON.stringify(e.piece)} appears twice`);
    vocab.set(e.piece, id);
  });
  for (const t of [...opts.specialTokens, opts.unkToken]) {
    if (!vocab.has(t)) throw new Error(`special token ${JSON.stringify(t)} is not in the vocabulary`);
  }
  const bytes = entries.filter((e) => BYTE_PIECE.test(e.piece));
  if (bytes.length !== 256) throw new Error(`expected 256 byte-fallback pieces, found ${bytes.length}`);
  const skip = new Set([...opts.specialTokens, ...bytes.map((b) => b.piece)]);
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: opts.specialTokens.map((content) => ({
      id: vocab.get(content),
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: "Sequence",
      normalizers: [
        { type: "Prepend", prepend: METASPACE },
        { type: "Replace", pattern: { String: " " }, content: METASPACE },
      ],
    },
    // Words start at a "▁": BPE then runs per word, as SentencePiece's pieces never cross a word boundary, and
    // a long document costs linear time instead of one quadratic merge loop over the whole text.
    pre_tokenizer: {
      type: "Split",
      pattern: { Regex: `${METASPACE}[^${METASPACE}]*|[^${METASPACE}]+` },
      behavior: "Isolated",
      invert: false,
    },
    post_processor: null,
    decoder: {
      type: "Sequence",
      decoders: [
        { type: "Replace", pattern: { String: METASPACE }, content: " " },
        { type: "ByteFallback" },
        { type: "Fuse" },
        { type: "Strip", content: " ", start: 1, stop: 0 },
      ],
    },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: opts.unkToken,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab: Object.fromEntries(vocab),
      merges: mergesOf(entries, vocab, skip),
    },
  };
}
