// Validates a dataset while it streams to storage: a pass-through transform splits the bytes into lines and
// feeds them to the engine's `checkDatasetLines`, so the file is read once and never held whole in memory.

import { Transform, type TransformCallback } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { checkDatasetLines, DataFormatError, type DatasetCheck } from "../../worker/engine/index.ts";

/** A line longer than this is reported rather than buffered (a binary file has no newlines). */
export const MAX_LINE_CHARS = 16 * 1024 * 1024;
const HIGH_WATER = 2048;

/** An async queue of lines with backpressure: the producer waits while the consumer is behind. */
class LineQueue implements AsyncIterable<string> {
  private lines: string[] = [];
  private ended = false;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;

  push(line: string): Promise<void> | undefined {
    this.lines.push(line);
    this.wakeConsumer?.();
    if (this.lines.length < HIGH_WATER) return undefined;
    return new Promise((resolve) => {
      this.wakeProducer = resolve;
    });
  }

  end(): void {
    this.ended = true;
    this.wakeConsumer?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<string> {
    for (;;) {
      const batch = this.lines;
      this.lines = [];
      if (batch.length > 0) {
        this.wakeProducer?.();
        this.wakeProducer = undefined;
      }
      for (const l of batch) yield l;
      if (batch.length === 0) {
        if (this.ended) return;
        await new Promise<void>((resolve) => {
          this.wakeConsumer = resolve;
        });
        this.wakeConsumer = undefined;
      }
    }
  }
}

export interface StreamCheck {
  /** Pipe the upload through this; it passes the bytes on unchanged. */
  transform: Transform;
  /** Resolves once the transform has ended, with every line checked. */
  result: Promise<DatasetCheck>;
}

export function checkDatasetStream(opts: { maxErrors?: number } = {}): StreamCheck {
  const maxErrors = opts.maxErrors ?? 10;
  const queue = new LineQueue();
  const decoder = new StringDecoder("utf8");
  const overlong: DataFormatError[] = [];
  let partial = "";
  let lineNo = 0;
  let skipping = false;

  const emit = (line: string): Promise<void> | undefined => {
    lineNo++;
    if (skipping) {
      skipping = false;
      // Keep line numbers aligned with the file: the checker skips blank lines.
      return queue.push("");
    }
    return queue.push(line.endsWith("\r") ? line.slice(0, -1) : line);
  };

  const feed = async (text: string): Promise<void> => {
    let start = 0;
    for (;;) {
      const nl = text.indexOf("\n", start);
      if (nl === -1) break;
      const line = partial + text.slice(start, nl);
      partial = "";
      start = nl + 1;
      const wait = emit(line);
      if (wait) await wait;
    }
    if (!skipping) partial += text.slice(start);
    if (partial.length > MAX_LINE_CHARS) {
      overlong.push(new DataFormatError(lineNo + 1, `line is longer than ${MAX_LINE_CHARS} characters`));
      partial = "";
      skipping = true;
    }
  };

  const checked = checkDatasetLines(queue, { maxErrors });
  const transform = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      feed(decoder.write(chunk)).then(() => cb(null, chunk), cb);
    },
    flush(cb: TransformCallback) {
      feed(decoder.end())
        .then(() => {
          if (partial.length > 0 || skipping) emit(partial);
          partial = "";
          queue.end();
          cb();
        })
        .catch(cb);
    },
  });
  // A destroyed transform (client gone, size limit) must not leave the checker waiting forever.
  transform.on("close", () => queue.end());

  const result = checked.then((check) => {
    if (overlong.length === 0) return check;
    const errors = [...check.errors, ...overlong].sort((a, b) => a.line - b.line).slice(0, maxErrors);
    return { ...check, errors };
  });
  return { transform, result };
}

/** The 400 message for a rejected dataset: how many problems, then the first ones by line. */
export function describeDatasetErrors(check: DatasetCheck): string {
  const list = check.errors.map((e) => e.message).join("; ");
  return `Invalid file format for fine-tuning: ${list}`;
}
