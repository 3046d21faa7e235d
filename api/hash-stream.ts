// A pass-through stream that hashes what flows through it: an upload's md5 checked on completion, and a file
// part's sha256 for an idempotent create's fingerprint, computed on the way to storage (no second read).
import { createHash } from "node:crypto";
import { Transform } from "node:stream";

export interface HashingStream {
  transform: Transform;
  /** Hex digest of every byte that passed; call once the stream has ended. */
  digest(): string;
}

export function hashingStream(algorithm: "md5" | "sha256"): HashingStream {
  const hash = createHash(algorithm);
  const transform = new Transform({
    transform(chunk, _enc, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  return { transform, digest: () => hash.digest("hex") };
}
