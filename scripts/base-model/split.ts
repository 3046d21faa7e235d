// Train/validation split by whole documents: a document is held out when a seeded hash of its id falls below
// the validation fraction, so the split depends only on (seed, id), never on reading order.
import { deriveSeed } from "../../worker/engine/index.ts";

export function isHeldOut(id: string, seed: number, validationFraction: number): boolean {
  return deriveSeed(seed, id) / 4294967296 < validationFraction;
}
