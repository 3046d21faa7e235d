// Object ids shaped as OpenAI's (`file-…`, `ftjob-…`, `upload_…`): a type prefix and 24 random base62 characters,
// so an id says what it names and cannot be guessed.
import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export function randomToken(length: number): string {
  // Rejection sampling keeps every character equally likely (256 is not a multiple of 62).
  let out = "";
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248 && out.length < length) out += ALPHABET[b % 62];
    }
  }
  return out;
}

/** `newId("file-")` → `file-3fQ…`; the separator is part of the prefix because OpenAI mixes `-` and `_`. */
export function newId(prefix: string): string {
  return `${prefix}${randomToken(24)}`;
}
