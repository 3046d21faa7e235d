// Counts bytes passing through and fails the stream once they exceed the limit, so an oversized upload is
// cut off as soon as it crosses the limit instead of after it has been stored.
import { Transform, type TransformCallback } from "node:stream";

export class SizeLimitError extends Error {
  constructor(readonly limit: number) {
    super(`file exceeds the maximum size of ${limit} bytes`);
    this.name = "SizeLimitError";
  }
}

export class ByteCounter extends Transform {
  bytes = 0;
  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) cb(new SizeLimitError(this.limit));
    else cb(null, chunk);
  }
}
