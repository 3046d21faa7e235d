// The activation cache: once the lowest k decoder layers are entirely frozen (and nothing below them trains),
// their output for a training example never changes, so it is kept per example and later epochs start the
// forward pass above them, as AutoFreeze does. Each entry holds the example's real positions only ([length, H],
// no padding), since the batch it comes back in may be padded to another length. Values are stored as
// bfloat16: half the bytes of float32, and float32's range (LLMs' residual streams hold a few very large
// activations that float16 could overflow). Memory is bounded by a byte limit; when an entry would pass it,
// it is not stored and that example's lower layers are recomputed each time. No entry is evicted: with
// shuffled epochs over the same examples, keeping the first ones stored gives as many hits as any policy.
import { fromBfloat16, toBfloat16 } from "../io/bfloat16.ts";

export interface ActivationCacheStats {
  /** The layers whose output the entries hold (k: the output of layer k - 1); 0 while nothing is cached. */
  layers: number;
  entries: number;
  /** Bytes of stored hidden states (bfloat16), never above limitBytes. */
  bytes: number;
  limitBytes: number;
  /** Rows served from the cache and rows computed, since the cache was made. */
  hits: number;
  misses: number;
  /** Examples that did not fit under the limit (counted once per depth). */
  refused: number;
}

export class ActivationCache {
  private readonly entries = new Map<number, { length: number; data: Uint16Array }>();
  private readonly refusedKeys = new Set<number>();
  private depth = 0;
  private bytes = 0;
  private hits = 0;
  private misses = 0;

  constructor(
    readonly limitBytes: number,
    /** Hidden size H: values per position. */
    readonly width: number,
  ) {
    if (!(limitBytes >= 0)) throw new Error(`activation cache limit must be >= 0 bytes, got ${limitBytes}`);
  }

  /**
   * The entries about to be read or written hold the output of the lowest `layers` layers. A change of depth
   * (more layers frozen) makes every entry stale: the cache empties and refills at the new depth.
   */
  atDepth(layers: number): void {
    if (layers === this.depth) return;
    this.entries.clear();
    this.refusedKeys.clear();
    this.bytes = 0;
    this.depth = layers;
  }

  /**
   * Writes example `key`'s cached hidden states (`length` positions) into `out` from `offset` and returns
   * true, or returns false (a miss) when it is not stored or was stored with another length.
   */
  read(key: number, length: number, out: Float32Array, offset: number): boolean {
    const e = this.entries.get(key);
    if (!e || e.length !== length) {
      this.misses++;
      return false;
    }
    fromBfloat16(e.data, out, offset);
    this.hits++;
    return true;
  }

  /** Stores example `key`'s hidden states, values [length * width]; false when they do not fit the limit. */
  write(key: number, values: Float32Array): boolean {
    if (values.length % this.width !== 0)
      throw new Error(`${values.length} values are not whole positions of ${this.width}`);
    const size = values.length * 2;
    const old = this.entries.get(key);
    const freed = old ? old.data.byteLength : 0;
    if (this.bytes - freed + size > this.limitBytes) {
      this.refusedKeys.add(key);
      return false;
    }
    this.entries.set(key, { length: values.length / this.width, data: toBfloat16(values) });
    this.bytes += size - freed;
    return true;
  }

  get stats(): ActivationCacheStats {
    return {
      layers: this.depth,
      entries: this.entries.size,
      bytes: this.bytes,
      limitBytes: this.limitBytes,
      hits: this.hits,
      misses: this.misses,
      refused: this.refusedKeys.size,
    };
  }
}
